package pluginhost

import (
	"context"
	"fmt"
	"time"
)

// Path returns the plugin binary of the last start, as resolved.
func (p *Plugin) Path() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.path
}

// LastError returns the last crash or failure of the plugin ("" for none).
// Unlike Err it is kept after a restart, so that an operator sees why the
// plugin went down last.
func (p *Plugin) LastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr == nil {
		return ""
	}
	return p.lastErr.Error()
}

// Crashes returns how many crashes count now towards the crash-loop breaker
// (those within the crash window).
func (p *Plugin) Crashes() int {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, t := range p.crashes {
		if w := p.spec.Restart.CrashWindow; w <= 0 || now.Sub(t) < w {
			n++
		}
	}
	return n
}

// noteCrash keeps why the plugin went down for LastError.
func (p *Plugin) noteCrash(why error) {
	p.mu.Lock()
	p.lastErr = why
	p.mu.Unlock()
}

// startSupervisor starts a supervisor for the current instance.
func (p *Plugin) startSupervisor() {
	ctx, cancel := context.WithCancel(context.Background())
	p.stopSuper, p.superDone = cancel, make(chan struct{})
	go p.supervise(ctx)
}

// restartStopTimeout bounds the Shutdown RPC to a running plugin that
// Restart replaces.
const restartStopTimeout = 5 * time.Second

// Restart is the operator's restart (admin plugin_restart): it clears the
// crash-loop breaker (the crashes counted so far and the failure) and
// starts the plugin again, whatever its state: a failed plugin (breaker
// open, refused restart, no restart policy) comes back, a running one is
// stopped (the Shutdown RPC, then its process group is killed) and
// replaced, a pending backoff is cancelled. The new process goes through
// the same checks as at launch (checksum, handshake, capability,
// Setup.Ready); OnRestart runs after it, and
// supervision resumes. A start that fails leaves the plugin failed with
// that error, which Restart returns. A plugin stopped by Shutdown or Kill
// is not restarted.
func (p *Plugin) Restart(ctx context.Context) error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	if p.State() == StateStopped {
		return fmt.Errorf("plugin %q is stopped (amberd is shutting down)", p.name)
	}
	p.stopSupervising(ctx)
	old := p.cur.Load()
	if !old.exited() {
		sctx, cancel := context.WithTimeout(ctx, restartStopTimeout)
		_ = old.chain.Shutdown(sctx) // best effort: the kill below ends it anyway
		cancel()
	}
	old.kill()
	<-old.proc.Done()

	p.mu.Lock()
	p.crashes, p.err, p.state = nil, nil, StateStarting
	if p.closed {
		p.final, p.closed = make(chan struct{}), false
	}
	p.mu.Unlock()
	p.log.Info("plugin restart requested: crash-loop breaker cleared", "pid", old.pid)

	inst, d, err := p.start(ctx)
	if err != nil {
		p.fail(err, "stderr", p.lastStderr.String())
		// Keep the supervision fields valid for Shutdown and Kill.
		p.startSupervisorDone()
		return err
	}
	p.publish(inst, d)
	p.log.Info("plugin restarted on request", "pid", inst.pid, "restarts", p.restarts.Load(), "version", d.Version)
	if hook := p.spec.OnRestart; hook != nil {
		hook(p)
	}
	p.startSupervisor()
	return nil
}

// startSupervisorDone records a supervisor that has nothing to watch (the
// plugin failed): stopSupervising returns at once.
func (p *Plugin) startSupervisorDone() {
	done := make(chan struct{})
	close(done)
	p.stopSuper, p.superDone = func() {}, done
}
