package sdk

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeOpts configures Serve.
type ServeOpts struct {
	// ChainBackend is the implementation to serve (required).
	ChainBackend ChainBackend
	// Logger is the plugin's logger. nil means hclog JSON on stderr at Debug
	// level, which the host re-emits with the same levels. A custom logger
	// must also write JSON to stderr for the host to keep the levels.
	Logger hclog.Logger
}

// parentPollInterval is how often the parent watchdog checks the parent PID.
const parentPollInterval = time.Second

// Serve runs the plugin: it answers the go-plugin handshake on stdout and
// serves opts.ChainBackend over gRPC until the host stops it, then exits the
// process. Call it first thing in main: anything printed to stdout before the
// handshake breaks start-up.
//
// Serve points the standard library logger at the plugin logger (stderr), sets
// MaxMessageSize limits on the gRPC server, and starts a watchdog that exits
// the plugin when its parent process (the host) goes away.
func Serve(opts ServeOpts) {
	if opts.ChainBackend == nil {
		fmt.Fprintln(os.Stderr, "sdk.Serve: ServeOpts.ChainBackend is nil")
		os.Exit(1)
	}
	logger := opts.Logger
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{
			Level:      hclog.Debug,
			Output:     os.Stderr,
			JSONFormat: true,
		})
	}
	log.SetFlags(0)
	log.SetPrefix("")
	log.SetOutput(logger.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}))

	go watchParent(context.Background(), os.Getppid, parentPollInterval, func(old, cur int) {
		logger.Error("host process went away, exiting", "parent_pid", old, "new_parent_pid", cur)
		os.Exit(2)
	})

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(opts.ChainBackend),
		GRPCServer:       newGRPCServer,
		Logger:           logger,
	})
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
