package hostside

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// bigTx answers Transaction with n bytes (embeds a nil ChainBackend: other
// methods are not called).
type bigTx struct {
	sdk.ChainBackend
	n int
}

func (b bigTx) Transaction(context.Context, sdk.Hash, bool) ([]byte, error) {
	return make([]byte, b.n), nil
}

func (b bigTx) Broadcast(_ context.Context, raw string) (string, error) {
	return "ok", nil
}

// serveReal serves impl with the same gRPC server factory Serve uses and
// returns a client adapter, both on 127.0.0.1.
func serveReal(t *testing.T, impl sdk.ChainBackend) *ChainClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := wire.NewGRPCServer(nil)
	servePlugin(t, s, impl)
	go func() { _ = s.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(); s.Stop() })
	return NewChainClient(context.Background(), conn)
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestMessageSizeLimit: replies up to sdk.MaxMessageSize pass (well above gRPC's
// 4 MiB default), larger ones fail with an error naming the limit, in both
// directions.
func TestMessageSizeLimit(t *testing.T) {
	const overhead = 16 // proto framing of TransactionResponse
	tests := []struct {
		name    string
		reply   int
		request int
		wantErr bool
	}{
		{"reply under limit", sdk.MaxMessageSize - overhead, 0, false},
		{"reply over limit", sdk.MaxMessageSize + 1, 0, true},
		{"request over limit", 0, sdk.MaxMessageSize + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serveReal(t, bigTx{n: tt.reply})
			var err error
			if tt.request > 0 {
				_, err = c.Broadcast(ctx10(t), strings.Repeat("0", tt.request))
			} else {
				var js []byte
				js, err = c.Transaction(ctx10(t), sdk.Hash{}, false)
				if err == nil && len(js) != tt.reply {
					t.Errorf("got %d bytes, want %d", len(js), tt.reply)
				}
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "exceeds the 64 MiB limit") {
				t.Fatalf("got %v, want an error naming the 64 MiB limit", err)
			}
		})
	}
}

// TestUnimplementedService: a plugin that does not serve an RPC (an older
// minor version) gives KindUnimplemented, not a crash.
func TestUnimplementedService(t *testing.T) {
	conn, _ := plugin.TestGRPCConn(t, func(s *grpc.Server) {
		pluginv1.RegisterPluginServer(s, pluginv1.UnimplementedPluginServer{})
	})
	t.Cleanup(func() { _ = conn.Close() })
	c := NewChainClient(context.Background(), conn)
	_, err := c.Tip(ctx10(t))
	if sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("Tip on a plugin without ChainBackend: %v (kind %v), want unimplemented", err, sdk.KindOf(err))
	}
	_, err = c.Describe(ctx10(t))
	if sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("unimplemented Describe: %v (kind %v)", err, sdk.KindOf(err))
	}
}

// TestProcessContext: once the process context is cancelled, calls fail with
// KindUnavailable and ErrPluginExited, including a call already in flight.
func TestProcessContext(t *testing.T) {
	proc, kill := context.WithCancel(context.Background())
	started := make(chan struct{})
	blocker := &hangTip{started: started}
	conn, _ := plugin.TestGRPCConn(t, func(s *grpc.Server) {
		servePlugin(t, s, blocker)
	})
	t.Cleanup(func() { _ = conn.Close() })
	c := NewChainClient(proc, conn)

	errc := make(chan error, 1)
	go func() { _, err := c.Tip(ctx10(t)); errc <- err }()
	<-started
	kill()
	for i, err := range []error{<-errc, func() error { _, err := c.Tip(ctx10(t)); return err }()} {
		if sdk.KindOf(err) != sdk.KindUnavailable || !errors.Is(err, ErrPluginExited) {
			t.Errorf("call %d: %v (kind %v), want unavailable / ErrPluginExited", i, err, sdk.KindOf(err))
		}
	}
}

// hangTip blocks Tip until its context ends.
type hangTip struct {
	sdk.ChainBackend
	started chan struct{}
}

func (h *hangTip) Tip(ctx context.Context) (sdk.Tip, error) {
	close(h.started)
	<-ctx.Done()
	return sdk.Tip{}, ctx.Err()
}

// servePlugin registers the plugin side of impl's roles on s, as sdk.Serve
// does.
func servePlugin(t *testing.T, s *grpc.Server, impl sdk.Lifecycle) {
	t.Helper()
	set, err := wire.PluginSet(impl)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range set {
		if err := p.(plugin.GRPCPlugin).GRPCServer(nil, s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}
