package chainbackend

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
)

func TestChainEvent(t *testing.T) {
	h := strings.Repeat("ab", 32)
	hash, _ := sdk.ParseHash(h)
	tests := []struct {
		name   string
		method string
		params string
		want   sdk.ChainEvent
		ok     bool
	}{
		{"connected", "blockconnected", fmt.Sprintf(`["%s",12,1700000000]`, h), sdk.ChainEvent{Kind: sdk.EventBlock, Height: 12, Hash: hash}, true},
		{"disconnected", "blockdisconnected", fmt.Sprintf(`["%s",11,1700000000]`, h), sdk.ChainEvent{Kind: sdk.EventBlock, Height: 11, Hash: hash}, true},
		{"tx", "txaccepted", fmt.Sprintf(`["%s",0.5]`, h), sdk.ChainEvent{Kind: sdk.EventMempool, Hash: hash}, true},
		{"garbage params still a hint", "blockconnected", `{"x":1}`, sdk.ChainEvent{Kind: sdk.EventBlock}, true},
		{"bad hash, negative height", "blockconnected", `["zz",-1]`, sdk.ChainEvent{Kind: sdk.EventBlock}, true},
		{"other method", "relevanttxaccepted", `["00"]`, sdk.ChainEvent{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := chainEvent(daemonrpc.Notification{Method: tt.method, Params: json.RawMessage(tt.params)})
			if got != tt.want || ok != tt.ok {
				t.Errorf("chainEvent = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func configuredFake(t *testing.T, d *fakedaemon.Daemon) *Backend {
	t.Helper()
	d.Handle("getblockcount", fakedaemon.Constant(5))
	d.Handle("getblockhash", fakedaemon.Constant(regtestGenesis))
	d.Handle("getblockchaininfo", fakedaemon.Constant(map[string]any{"chain": "regtest"}))
	b := New(slog.New(slog.DiscardHandler))
	if err := b.Configure(t.Context(), []byte(fmt.Sprintf(`{"daemon_url":%q,"request_timeout":"5s"}`, d.URL()))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Shutdown(bg) })
	return b
}

// TestWatchChainLongPoll: a daemon without a websocket (bitcoind) is
// watched with waitfornewblock; a changed tip is one event, an unchanged
// one (the call's timeout) none.
func TestWatchChainLongPoll(t *testing.T) {
	d := fakedaemon.New(t)
	a, b := strings.Repeat("0a", 32), strings.Repeat("0b", 32)
	d.Handle("getbestblockhash", fakedaemon.Constant(a))
	var calls atomic.Int32
	d.Handle("waitfornewblock", func(params []json.RawMessage) (any, *fakedaemon.Error) {
		if len(params) != 1 || string(params[0]) != "2500" {
			return nil, &fakedaemon.Error{Code: -8, Message: "want the timeout in ms, got " + fmt.Sprint(params)}
		}
		if calls.Add(1) > 1 {
			time.Sleep(20 * time.Millisecond) // a timeout: same tip
		}
		return map[string]any{"hash": b, "height": 6}, nil
	})
	be := configuredFake(t, d)
	be.mu.Lock()
	be.cfg.RequestTimeout = 5 * time.Second
	be.mu.Unlock()

	ctx, cancel := context.WithCancel(t.Context())
	events := make(chan sdk.ChainEvent, 8)
	done := make(chan error, 1)
	go func() { done <- be.WatchChain(ctx, true, func(ev sdk.ChainEvent) { events <- ev }) }()
	ev := <-events
	want, _ := sdk.ParseHash(b)
	if ev != (sdk.ChainEvent{Kind: sdk.EventBlock, Height: 6, Hash: want}) {
		t.Errorf("event %+v", ev)
	}
	for calls.Load() < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WatchChain after cancel = %v", err)
	}
	if len(events) != 0 {
		t.Errorf("%d more events for an unchanged tip", len(events))
	}
}

func TestWatchChainNoSource(t *testing.T) {
	d := fakedaemon.New(t)
	d.Handle("getbestblockhash", fakedaemon.Constant(strings.Repeat("0a", 32)))
	be := configuredFake(t, d)
	err := be.WatchChain(t.Context(), false, func(sdk.ChainEvent) { t.Error("event from nowhere") })
	if sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("WatchChain without websocket or waitfornewblock = %v, want unimplemented", err)
	}
}

// TestBtcdWatchChain: btcd's websocket pushes blockconnected for each
// generated block, in order, with its hash (txaccepted is covered by the
// index e2e path: amberd picks up broadcasts through it).
func TestBtcdWatchChain(t *testing.T) {
	node := startBtcd(t)
	b := New(slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	cfg := fmt.Sprintf(`{"daemon_url":"u:p@%s","network":"regtest","request_timeout":"10s"}`, node.addr)
	if err := b.Configure(ctx, []byte(cfg)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	defer b.Shutdown(bg)

	wctx, stop := context.WithCancel(ctx)
	events := make(chan sdk.ChainEvent, 64)
	done := make(chan error, 1)
	go func() { done <- b.WatchChain(wctx, true, func(ev sdk.ChainEvent) { events <- ev }) }()
	generate := func() []string {
		var hs []string
		if err := b.call(ctx, &hs, "generate", 1); err != nil || len(hs) != 1 {
			t.Fatalf("generate: %v", err)
		}
		return hs
	}
	// The subscription is in place once a block is announced.
	for subscribed := false; !subscribed; {
		generate()
		select {
		case <-events:
			subscribed = true
		case <-time.After(200 * time.Millisecond):
		case err := <-done:
			t.Fatalf("WatchChain ended: %v", err)
		}
	}
	// Each new block is announced with its hash and height; events of the
	// set-up loop that are still queued come first and are skipped.
	for range 3 {
		hs := generate()
		tip, err := b.Tip(ctx)
		if err != nil || tip.Hash.String() != hs[0] {
			t.Fatalf("Tip %+v, %v; want %s", tip, err, hs[0])
		}
		ev := <-events
		for ev.Hash != tip.Hash {
			if ev.Kind != sdk.EventBlock || ev.Height >= tip.Height {
				t.Fatalf("event %+v before the one for block %d %s", ev, tip.Height, tip.Hash)
			}
			ev = <-events
		}
		if ev.Kind != sdk.EventBlock || ev.Height != tip.Height {
			t.Errorf("event %+v for block %d", ev, tip.Height)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("WatchChain after cancel = %v", err)
	}
}
