package index

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/internal/store/storetest"
	"github.com/amber-electrum/amber/sdk"
)

// watchingChain is a fakeChain whose WatchChain delivers what the test
// sends on events, or fails with failWith.
type watchingChain struct {
	*fakeChain
	events   chan sdk.ChainEvent
	failWith error
	calls    atomic.Int32
	mu       sync.Mutex
	mempool  []bool
}

func (c *watchingChain) WatchChain(ctx context.Context, mempool bool, notify func(sdk.ChainEvent)) error {
	c.calls.Add(1)
	c.mu.Lock()
	c.mempool = append(c.mempool, mempool)
	c.mu.Unlock()
	if c.failWith != nil {
		return c.failWith
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-c.events:
			notify(ev)
		}
	}
}

// runIndex opens an index over chain and st that polls only once an hour
// and runs it until the test ends.
func runIndex(t *testing.T, chain Chain, genesis sdk.Hash, noEvents bool, st store.Store) *Index {
	t.Helper()
	ix, err := Open(t.Context(), Options{Store: st, Chain: chain, Genesis: genesis,
		ReorgLimit: 10, PollInterval: time.Hour, Logger: discardLogger(), NoChainEvents: noEvents})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	<-ix.Synced()
	return ix
}

// waitHeight waits (bounded far below the hour-long poll) for the index to
// reach height h.
func waitHeight(t *testing.T, ix *Index, h int64) bool {
	t.Helper()
	for range 3000 {
		if got, _, _ := ix.Tip(); got == h {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// TestChainEventWakesIndex: with polling effectively off, a block event
// makes the index follow the new block, and mempool events make it pick up
// a new mempool transaction; with NoChainEvents the same event is ignored.
func TestChainEventWakesIndex(t *testing.T) {
	for _, engine := range testEngines {
		t.Run(engine, func(t *testing.T) { testChainEventWakesIndex(t, engine) })
	}
}

func testChainEventWakesIndex(t *testing.T, engine string) {
	sc := newSmallChain()
	fc := &fakeChain{}
	fc.set(sc.blocks[:2])
	chain := &watchingChain{fakeChain: fc, events: make(chan sdk.ChainEvent)}
	ix := runIndex(t, chain, sdk.Hash(sc.blocks[0].BlockHash()), false, openTestStore(t, engine))
	if h, _, _ := ix.Tip(); h != 1 {
		t.Fatalf("start height %d, want 1", h)
	}

	fc.set(sc.blocks)
	chain.events <- sdk.ChainEvent{Kind: sdk.EventBlock, Height: 2}
	if !waitHeight(t, ix, 2) {
		t.Fatalf("block event: index stayed at %+v", ix.Status())
	}

	tx := spend([]wire.OutPoint{op(sc.t2, 0)}, false, out{p2pkh(0x77), 1e8})
	fc.set(sc.blocks, tx)
	chain.events <- sdk.ChainEvent{Kind: sdk.EventMempool, Hash: txh(tx)}
	ok := false
	for range 3000 {
		if ix.Status().MempoolTxs == 1 {
			ok = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !ok {
		t.Fatalf("mempool event: status %+v", ix.Status())
	}
	chain.mu.Lock()
	if len(chain.mempool) != 1 || !chain.mempool[0] {
		t.Errorf("WatchChain calls asked mempool=%v, want [true]", chain.mempool)
	}
	chain.mu.Unlock()
	if n := ix.Status().ChainEvents; n != 2 {
		t.Errorf("events counted %d, want 2", n)
	}
}

func TestNoChainEventsPollsOnly(t *testing.T) {
	sc := newSmallChain()
	fc := &fakeChain{}
	fc.set(sc.blocks[:2])
	chain := &watchingChain{fakeChain: fc, events: make(chan sdk.ChainEvent)}
	ix := runIndex(t, chain, sdk.Hash(sc.blocks[0].BlockHash()), true, storetest.OpenMemory())
	fc.set(sc.blocks)
	select {
	case chain.events <- sdk.ChainEvent{Kind: sdk.EventBlock}:
		t.Fatal("NoChainEvents: a watch is running")
	case <-time.After(100 * time.Millisecond):
	}
	if h, _, _ := ix.Tip(); h != 1 || chain.calls.Load() != 0 {
		t.Errorf("height %d, WatchChain calls %d; want 1 and 0", h, chain.calls.Load())
	}
}

// TestWatchGivesUpOnlyWhenUnimplemented: a plugin without events is asked
// once; a failing watch is retried.
func TestWatchGivesUpOnlyWhenUnimplemented(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
	}{
		{"unimplemented", sdk.Errorf(sdk.KindUnimplemented, "no events"), false},
		{"unavailable", sdk.Errorf(sdk.KindUnavailable, "websocket closed"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := newSmallChain()
			fc := &fakeChain{}
			fc.set(sc.blocks)
			chain := &watchingChain{fakeChain: fc, failWith: tt.err}
			ix, err := Open(t.Context(), Options{Store: storetest.OpenMemory(), Chain: chain,
				Genesis: sdk.Hash(sc.blocks[0].BlockHash()), PollInterval: time.Hour, Logger: discardLogger()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { ix.watch(ctx); close(done) }()
			if !tt.wantRetry {
				<-done // returns by itself
				cancel()
				if n := chain.calls.Load(); n != 1 {
					t.Errorf("WatchChain calls %d, want 1", n)
				}
				return
			}
			for chain.calls.Load() < 2 { // the retry comes after watchRetryFirst
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			<-done
		})
	}
}

// TestMempoolEventsCoalesce: the first mempool event wakes the processor at
// once; a burst right after it costs one more wake, not one per event.
func TestMempoolEventsCoalesce(t *testing.T) {
	sc := newSmallChain()
	fc := &fakeChain{}
	fc.set(sc.blocks)
	ix := newTestIndex(t, fc, nil, nil)
	ix.onChainEvent(sdk.ChainEvent{Kind: sdk.EventMempool})
	select {
	case <-ix.wake:
	default:
		t.Fatal("the first mempool event did not wake the processor at once")
	}
	for range 50 {
		ix.onChainEvent(sdk.ChainEvent{Kind: sdk.EventMempool})
	}
	wakes := 0
	deadline := time.After(2 * time.Second) // many times mempoolWakeGap
	for done := false; !done; {
		select {
		case <-ix.wake:
			wakes++
		case <-deadline:
			done = true
		}
	}
	// One trailing wake; a second only if this machine stalled for a whole
	// gap inside the burst.
	if wakes < 1 || wakes > 2 {
		t.Errorf("a burst of 50 mempool events gave %d wakes, want 1 (2 at most)", wakes)
	}
	if n := ix.chainEvents.Load(); n != 51 {
		t.Errorf("events counted %d, want 51", n)
	}
}
