package sdk

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// bigTx answers Transaction with n bytes (embeds a nil ChainBackend: other
// methods are not called).
type bigTx struct {
	ChainBackend
	n int
}

func (b bigTx) Transaction(context.Context, Hash, bool) ([]byte, error) {
	return make([]byte, b.n), nil
}

func (b bigTx) Broadcast(_ context.Context, raw string) (string, error) {
	return "ok", nil
}

// serveReal serves impl with the same gRPC server factory Serve uses and
// returns a client adapter, both on 127.0.0.1.
func serveReal(t *testing.T, impl ChainBackend) *ChainClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newGRPCServer(nil)
	if err := (&ChainPlugin{Impl: impl}).GRPCServer(nil, s); err != nil {
		t.Fatal(err)
	}
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

// TestMessageSizeLimit: replies up to MaxMessageSize pass (well above gRPC's
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
		{"reply under limit", MaxMessageSize - overhead, 0, false},
		{"reply over limit", MaxMessageSize + 1, 0, true},
		{"request over limit", 0, MaxMessageSize + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serveReal(t, bigTx{n: tt.reply})
			var err error
			if tt.request > 0 {
				_, err = c.Broadcast(ctx10(t), strings.Repeat("0", tt.request))
			} else {
				var js []byte
				js, err = c.Transaction(ctx10(t), Hash{}, false)
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
	if KindOf(err) != KindUnimplemented {
		t.Errorf("Tip on a plugin without ChainBackend: %v (kind %v), want unimplemented", err, KindOf(err))
	}
	_, err = c.Describe(ctx10(t))
	if KindOf(err) != KindUnimplemented {
		t.Errorf("unimplemented Describe: %v (kind %v)", err, KindOf(err))
	}
}

// TestProcessContext: once the process context is cancelled, calls fail with
// KindUnavailable and ErrPluginExited, including a call already in flight.
func TestProcessContext(t *testing.T) {
	proc, kill := context.WithCancel(context.Background())
	started := make(chan struct{})
	blocker := &hangTip{started: started}
	conn, _ := plugin.TestGRPCConn(t, func(s *grpc.Server) {
		_ = (&ChainPlugin{Impl: blocker}).GRPCServer(nil, s)
	})
	t.Cleanup(func() { _ = conn.Close() })
	c := NewChainClient(proc, conn)

	errc := make(chan error, 1)
	go func() { _, err := c.Tip(ctx10(t)); errc <- err }()
	<-started
	kill()
	for i, err := range []error{<-errc, func() error { _, err := c.Tip(ctx10(t)); return err }()} {
		if KindOf(err) != KindUnavailable || !errors.Is(err, ErrPluginExited) {
			t.Errorf("call %d: %v (kind %v), want unavailable / ErrPluginExited", i, err, KindOf(err))
		}
	}
}

// hangTip blocks Tip until its context ends.
type hangTip struct {
	ChainBackend
	started chan struct{}
}

func (h *hangTip) Tip(ctx context.Context) (Tip, error) {
	close(h.started)
	<-ctx.Done()
	return Tip{}, ctx.Err()
}

// TestWatchParent: the watchdog fires once the parent PID changes, not before.
func TestWatchParent(t *testing.T) {
	var calls atomic.Int32
	ppid := func() int {
		if calls.Add(1) > 3 {
			return 1
		}
		return 4242
	}
	fired := make(chan [2]int, 1)
	done := make(chan struct{})
	go func() {
		watchParent(t.Context(), ppid, time.Millisecond, func(old, cur int) { fired <- [2]int{old, cur} })
		close(done)
	}()
	select {
	case got := <-fired:
		if got != [2]int{4242, 1} || calls.Load() < 4 {
			t.Errorf("fired with %v after %d polls", got, calls.Load())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watchdog never fired")
	}
	<-done
}
