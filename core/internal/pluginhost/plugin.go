package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// Plugin is a launched plugin: its current process, the adapter callers
// hold, and its supervisor.
type Plugin struct {
	name string
	spec Spec // as normalised by Launch
	log  *slog.Logger

	// cur is the current instance (the last one while the plugin is down);
	// the supervisor swaps a restarted instance in and the adapter follows.
	cur      atomic.Pointer[instance]
	restarts atomic.Int64

	// Only Launch and then the supervisor goroutine touch this.
	lastStderr *tail // stderr of the last started process

	mu      sync.Mutex
	desc    sdk.Description
	state   string
	err     error
	crashes []time.Time // crashes counted for the breaker and the backoff

	lastErr error  // the last crash or failure, kept across restarts
	path    string // the binary of the last start

	// ctl serialises the lifecycle calls: Restart, Shutdown and Kill.
	ctl       sync.Mutex
	stopSuper func()        // cancels the supervisor's context
	superDone chan struct{} // closed when the supervisor has returned
	starts    sync.WaitGroup
	final     chan struct{} // closed on failed or stopped (under mu)
	closed    bool          // final is closed (under mu)
}

// Conn is one plugin process's SDK client adapters (sdk/hostside). Chain
// also carries the lifecycle every plugin serves (Describe, Configure,
// Shutdown); its chain calls answer KindUnimplemented from a plugin that
// serves no chain backend, Methods's calls from one that serves no method
// provider and Fees's from one that serves no fee estimator.
type Conn struct {
	Chain   sdk.ChainBackend
	Methods *hostside.MethodsClient
	Fees    *hostside.FeeClient
}

// instance is one plugin process and its connection.
type instance struct {
	client  *plugin.Client
	cmd     *exec.Cmd
	chain   sdk.ChainBackend        // the SDK client adapter (also the lifecycle of any kind)
	methods *hostside.MethodsClient // the SDK method-provider adapter
	fees    *hostside.FeeClient     // the SDK fee-estimator adapter
	proc    context.Context         // cancelled when the process exits
	pid     int
	stderr  *tail
}

func (i *instance) exited() bool { return i.proc.Err() != nil }

func (i *instance) conn() Conn { return Conn{Chain: i.chain, Methods: i.methods, Fees: i.fees} }

// kill SIGKILLs the process group and lets go-plugin reap the process.
func (i *instance) kill() {
	killGroup(i.pid)
	i.client.Kill()
}

// exitStatus describes how the process ended ("signal: killed", "exit
// status 3"); call it once proc is done (go-plugin cancels proc after Wait).
func (i *instance) exitStatus() string {
	if i.cmd != nil && i.cmd.ProcessState != nil {
		return i.cmd.ProcessState.String()
	}
	return "unknown exit status"
}

// Name returns the plugin's configured name.
func (p *Plugin) Name() string { return p.name }

// PID returns the id of the running plugin process, 0 while none runs.
func (p *Plugin) PID() int {
	inst := p.cur.Load()
	if inst.exited() {
		return 0
	}
	return inst.pid
}

// Describe returns the plugin's description, as cached after Configure
// (after the last restart).
func (p *Plugin) Describe() sdk.Description {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.desc
}

// State returns one of StateStarting, StateRunning, StateRestarting,
// StateFailed and StateStopped.
func (p *Plugin) State() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Err returns why the plugin failed (nil unless State is StateFailed).
func (p *Plugin) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Restarts returns how many times the plugin has been restarted
// successfully.
func (p *Plugin) Restarts() int64 { return p.restarts.Load() }

// Exited reports whether no plugin process is running now (it exited and
// has not been restarted yet, or for good).
func (p *Plugin) Exited() bool { return p.cur.Load().exited() }

// Done is closed when the plugin is down for good: it failed (exited
// without a restart policy, crash-loop breaker, refused restart) or was
// stopped by Shutdown or Kill. A crash that is followed by a restart does
// not close it.
//
// Restart can bring a failed plugin back: Done then returns a new channel.
func (p *Plugin) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.final
}

func (p *Plugin) setState(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateFailed && p.state != StateStopped {
		p.state = s
	}
}

// publish makes a restarted instance current.
func (p *Plugin) publish(inst *instance, d sdk.Description) {
	p.mu.Lock()
	p.desc = d
	p.mu.Unlock()
	p.cur.Store(inst)
	p.restarts.Add(1)
	p.setState(StateRunning)
}

// fail leaves the plugin down for good and logs why as an error.
func (p *Plugin) fail(err error, attrs ...any) {
	p.mu.Lock()
	p.state, p.err, p.lastErr = StateFailed, err, err
	p.closeFinal()
	p.mu.Unlock()
	p.log.Error(err.Error(), attrs...)
}

// closeFinal closes final once; p.mu must be held.
func (p *Plugin) closeFinal() {
	if !p.closed {
		close(p.final)
		p.closed = true
	}
}

// stopped marks the plugin stopped unless it had failed.
func (p *Plugin) stopped() {
	p.setState(StateStopped)
	p.mu.Lock()
	p.closeFinal()
	p.mu.Unlock()
}

// stopSupervising stops restarts before the plugin is stopped on purpose
// (so that this is not taken for a crash): it cancels the supervisor, waits
// for it, then waits (within ctx) for abandoned process starts to be
// cleaned up.
func (p *Plugin) stopSupervising(ctx context.Context) {
	p.stopSuper()
	<-p.superDone
	done := make(chan struct{})
	go func() { p.starts.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// DefaultShutdownTimeout bounds the Shutdown RPC when ctx has no deadline.
const DefaultShutdownTimeout = 10 * time.Second

// Shutdown stops supervision first (a restart pending in its backoff is
// cancelled), then asks the plugin to stop (the Shutdown RPC, with ctx's
// deadline, DefaultShutdownTimeout if it has none), then stops the process
// through go-plugin (which waits up to 2 s for a graceful exit before
// killing it) and finally kills the plugin's process group if anything in
// it is still alive. It returns when the process has been reaped. The error
// is the Shutdown RPC's, if it failed while the plugin was running.
func (p *Plugin) Shutdown(ctx context.Context) error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultShutdownTimeout)
		defer cancel()
	}
	p.stopSupervising(ctx)
	inst := p.cur.Load()
	var rpcErr error
	if !inst.exited() {
		rpcErr = inst.chain.Shutdown(ctx)
	}
	inst.client.Kill()
	killGroup(inst.pid)
	<-inst.proc.Done()
	p.stopped()
	if rpcErr != nil && !isNotRunning(rpcErr) {
		return fmt.Errorf("plugin %q: shutdown: %w", p.name, rpcErr)
	}
	p.log.Info("plugin stopped", "pid", inst.pid)
	return nil
}

// Kill stops supervision and then the plugin at once: SIGKILL to its
// process group, then go-plugin's cleanup. It returns when the process has
// been reaped.
func (p *Plugin) Kill() {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.stopSupervising(context.Background())
	inst := p.cur.Load()
	inst.kill()
	<-inst.proc.Done()
	p.stopped()
}

// notRunning is the error calls return while no process runs.
func (p *Plugin) notRunning() error {
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: fmt.Sprintf("plugin %q is not running", p.name)}
}

func isNotRunning(err error) bool {
	var e *sdk.Error
	return errors.As(err, &e) && e.Kind == sdk.KindUnavailable
}
