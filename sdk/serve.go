package sdk

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// ServeOpts configures Serve.
type ServeOpts struct {
	// ChainBackend, if set, is served as the chain backend
	// (CapChainBackend); it also answers Describe, Configure and Shutdown.
	ChainBackend ChainBackend
	// MethodProvider, if set, is served as a method provider
	// (CapMethodProvider). Without a ChainBackend it must implement
	// Lifecycle (embed *BasicPlugin); otherwise use ServePlugin with
	// PluginOpts.Lifecycle.
	MethodProvider MethodProvider
	// Logger is the plugin's logger. nil means hclog JSON on stderr at Debug
	// level, which the host re-emits with the same levels. A custom logger
	// must also write JSON to stderr for the host to keep the levels.
	Logger hclog.Logger
}

// parentPollInterval is how often the parent watchdog checks the parent PID.
const parentPollInterval = time.Second

// Serve runs the plugin: it answers the go-plugin handshake on stdout and
// serves opts.ChainBackend and/or opts.MethodProvider over gRPC until the
// host stops it, then exits the process. Call it first thing in main:
// anything printed to stdout before the handshake breaks start-up. At least
// one of the two must be set; invalid opts print the reason on stderr and
// exit with status 1.
//
// Serve is ServePlugin(PluginOpts{Chain, Methods, Logger}): it points the
// standard library logger at the plugin logger (stderr), sets
// MaxMessageSize limits on the gRPC server, and starts a watchdog that
// exits the plugin when its parent process (the host) goes away. Describe
// lists the capabilities of the services served.
func Serve(opts ServeOpts) {
	ServePlugin(PluginOpts{Chain: opts.ChainBackend, Methods: opts.MethodProvider, Logger: opts.Logger})
}

// newGRPCServer is go-plugin's server factory with the SDK's size limits.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, ServerOptions()...)...)
}

// watchParent calls orphaned once getppid returns something other than its
// first answer (the parent died and the process was re-parented), or returns
// when ctx is done.
func watchParent(ctx context.Context, getppid func() int, every time.Duration, orphaned func(old, cur int)) {
	first := getppid()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if cur := getppid(); cur != first {
				orphaned(first, cur)
				return
			}
		}
	}
}
