package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Plugin states, as State reports them.
const (
	StateStarting   = "starting"   // Launch has not finished
	StateRunning    = "running"    // a process is serving
	StateRestarting = "restarting" // the process died; waiting for or running a restart
	StateFailed     = "failed"     // down for good: no restart policy, breaker open or restart refused
	StateStopped    = "stopped"    // Shutdown or Kill
)

// RestartPolicy says whether and how a crashed plugin is restarted. The zero
// value never restarts (a crash leaves the plugin failed).
type RestartPolicy struct {
	// Delay is the wait before the first restart after a crash; it doubles
	// with each crash counted in CrashWindow. Zero or less disables restarts.
	Delay time.Duration
	// MaxDelay caps the doubled delay (a value below Delay means Delay).
	MaxDelay time.Duration
	// CrashLimit crashes within CrashWindow open the crash-loop breaker: the
	// plugin is not restarted again and its state becomes failed. Zero or
	// less means no breaker. A restart that fails to start counts as a crash.
	CrashLimit int
	// CrashWindow is how long a crash counts, for the breaker and for the
	// backoff; zero or less means crashes never expire.
	CrashWindow time.Duration
}

// Enabled reports whether the policy restarts crashed plugins.
func (r RestartPolicy) Enabled() bool { return r.Delay > 0 }

// backoff is the delay before the restart that follows the n-th counted
// crash (n >= 1): Delay·2^(n-1), at most MaxDelay.
func (r RestartPolicy) backoff(n int) time.Duration {
	limit := max(r.MaxDelay, r.Delay)
	d := r.Delay
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// refusal marks a start failure that retrying cannot fix (checksum
// mismatch, incompatible protocol, missing capability, a Setup.Ready that
// refuses): the supervisor gives up at once.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

func refuse(err error) error { return refusal{err} }

// Refuse marks err, returned by a Setup.Ready hook, as a refusal: the
// supervisor does not retry the start and leaves the plugin failed (a
// chain backend that now reports another genesis block).
func Refuse(err error) error { return refuse(err) }

func isRefusal(err error) bool {
	var r refusal
	return errors.As(err, &r)
}

// supervise watches the current instance until ctx is done (Shutdown or
// Kill) and handles each unexpected exit.
func (p *Plugin) supervise(ctx context.Context) {
	defer close(p.superDone)
	for {
		inst := p.cur.Load()
		select {
		case <-ctx.Done():
			return
		case <-inst.proc.Done():
		}
		if ctx.Err() != nil || !p.recoverFrom(ctx, inst) {
			return
		}
	}
}

// recoverFrom handles the unexpected exit of dead: it restarts the plugin
// (true) or leaves it failed or stopped (false).
func (p *Plugin) recoverFrom(ctx context.Context, dead *instance) bool {
	// Release the dead process's connection, broker and host services
	// (go-plugin's cleanup; the process itself is gone) and anything left
	// in its process group.
	dead.kill()
	pol := p.spec.Restart
	why := fmt.Errorf("plugin %q exited unexpectedly (%s)", p.name, dead.exitStatus())
	attrs := []any{"pid", dead.pid, "stderr", dead.stderr.String()}
	if !pol.Enabled() {
		p.fail(why, attrs...)
		return false
	}
	for {
		n := p.countCrash()
		if pol.CrashLimit > 0 && n >= pol.CrashLimit {
			window := "ever"
			if pol.CrashWindow > 0 {
				window = "within " + pol.CrashWindow.String()
			}
			p.fail(fmt.Errorf("plugin %q: %d crashes %s, not restarting it (crash-loop breaker): %w",
				p.name, n, window, why), attrs...)
			return false
		}
		delay := pol.backoff(n)
		p.noteCrash(why)
		p.setState(StateRestarting)
		p.log.Warn(why.Error()+"; restarting it", append(attrs, "delay", delay, "crashes", n)...)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
		}
		inst, d, err := p.start(ctx)
		switch {
		case ctx.Err() != nil:
			if err == nil {
				inst.kill()
			}
			return false
		case err == nil:
			p.publish(inst, d)
			p.log.Info("plugin restarted", "pid", inst.pid, "restarts", p.restarts.Load(), "version", d.Version)
			if hook := p.spec.OnRestart; hook != nil {
				hook(p)
			}
			return true
		case isRefusal(err):
			p.fail(err, "stderr", p.lastStderr.String())
			return false
		}
		why = err
		attrs = []any{"stderr", p.lastStderr.String()}
	}
}

// countCrash records a crash now and returns how many count (within the
// window).
func (p *Plugin) countCrash() int {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := p.spec.Restart.CrashWindow; w > 0 {
		kept := p.crashes[:0]
		for _, t := range p.crashes {
			if now.Sub(t) < w {
				kept = append(kept, t)
			}
		}
		p.crashes = kept
	}
	p.crashes = append(p.crashes, now)
	return len(p.crashes)
}
