package sdktest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// connect serves set (the plugin side) in-process the way sdk.Serve does (go-plugin's
// Serve in test mode, with the SDK's gRPC size limits) and returns the
// host-side client attached with hostSet. go-plugin's own log lines (the "[DEBUG]
// stdio: received EOF" kind) go to a buffer that is written to the test
// log only when the test fails. Both ends are stopped when the test ends.
func connect(t testing.TB, set, hostSet plugin.PluginSet) plugin.ClientProtocol {
	t.Helper()
	logger := newTestLogger(t)
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hostside.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			sdk.ProtocolVersion: set,
		},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, hostside.ServerOptions()...)...)
		},
		Logger: logger.Named("plugin"),
		Test:   &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
	})
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		t.Fatalf("sdktest: the in-process plugin server did not start")
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hostside.Handshake,
		Plugins:          hostSet, // a reattached client does not pick from VersionedPlugins
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger.Named("host"),
	})
	t.Cleanup(func() {
		// Stop the server first, then the client: Kill would otherwise
		// ask the server to stop through go-plugin's controller.
		cancel()
		<-closed
		client.Kill()
	})
	proto, err := client.Client()
	if err != nil {
		t.Fatalf("sdktest: attach to the in-process plugin: %v", err)
	}
	return proto
}

// newTestLogger returns an hclog logger (every level) that keeps its lines
// in memory and hands them to t.Log at cleanup if the test failed, so that
// a passing test's output carries none of go-plugin's debug lines.
func newTestLogger(t testing.TB) hclog.Logger {
	w := &failLog{}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
		if t.Failed() && w.buf.Len() > 0 {
			t.Logf("sdktest: go-plugin log:\n%s", w.buf.String())
		}
	})
	return hclog.New(&hclog.LoggerOptions{Name: "sdktest", Level: hclog.Trace, Output: w})
}

// failLog is the writer behind newTestLogger. Lines written after the
// test's cleanup are dropped.
type failLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
}

func (w *failLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.buf.Write(p)
	}
	return len(p), nil
}
