package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
)

// Plugin is a launched plugin.
type Plugin struct {
	name string
	log  *slog.Logger
	desc sdk.Description
	// cur is the running instance. It is the seam for automatic restart
	// (not implemented yet): a supervisor would store a new instance here and
	// the adapter returned by Chain would follow it.
	cur atomic.Pointer[instance]
}

// instance is one plugin process and its connection.
type instance struct {
	client *plugin.Client
	chain  sdk.ChainBackend // the SDK client adapter
	proc   context.Context  // cancelled when the process exits
	pid    int
}

func (i *instance) exited() bool { return i.proc.Err() != nil }

// kill SIGKILLs the process group and lets go-plugin reap the process.
func (i *instance) kill() {
	killGroup(i.pid)
	i.client.Kill()
}

// Name returns the plugin's configured name.
func (p *Plugin) Name() string { return p.name }

// PID returns the plugin process id.
func (p *Plugin) PID() int { return p.cur.Load().pid }

// Describe returns the plugin's description, as cached after Configure.
func (p *Plugin) Describe() sdk.Description { return p.desc }

// Exited reports whether the plugin process has exited.
func (p *Plugin) Exited() bool { return p.cur.Load().exited() }

// Done is closed when the plugin process exits.
func (p *Plugin) Done() <-chan struct{} { return p.cur.Load().proc.Done() }

// Chain returns the plugin's ChainBackend. Once the process is gone every
// call fails promptly with a KindUnavailable *sdk.Error whose message is
// `plugin "<name>" is not running`.
func (p *Plugin) Chain() sdk.ChainBackend { return &hostChain{p: p} }

// DefaultShutdownTimeout bounds the Shutdown RPC when ctx has no deadline.
const DefaultShutdownTimeout = 10 * time.Second

// Shutdown asks the plugin to stop (the Shutdown RPC, with ctx's deadline,
// DefaultShutdownTimeout if it has none),
// then stops the process through go-plugin (which waits up to 2 s for a
// graceful exit before killing it) and finally kills the plugin's process
// group if anything in it is still alive. It returns when the process has
// been reaped. The error is the Shutdown RPC's, if it failed while the
// plugin was running.
func (p *Plugin) Shutdown(ctx context.Context) error {
	inst := p.cur.Load()
	var rpcErr error
	if !inst.exited() {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, DefaultShutdownTimeout)
			defer cancel()
		}
		rpcErr = p.Chain().Shutdown(ctx)
	}
	inst.client.Kill()
	killGroup(inst.pid)
	<-inst.proc.Done()
	if rpcErr != nil && !isNotRunning(rpcErr) {
		return fmt.Errorf("plugin %q: shutdown: %w", p.name, rpcErr)
	}
	p.log.Info("plugin stopped", "pid", inst.pid)
	return nil
}

// Kill stops the plugin at once: SIGKILL to its process group, then
// go-plugin's cleanup. It returns when the process has been reaped.
func (p *Plugin) Kill() {
	inst := p.cur.Load()
	inst.kill()
	<-inst.proc.Done()
}

// notRunning is the error calls return once the process is gone.
func (p *Plugin) notRunning() error {
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: fmt.Sprintf("plugin %q is not running", p.name)}
}

func isNotRunning(err error) bool {
	var e *sdk.Error
	return errors.As(err, &e) && e.Kind == sdk.KindUnavailable
}
