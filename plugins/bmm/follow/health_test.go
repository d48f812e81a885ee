package follow

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/sdk"
)

// TestSeveralAcceptsCommitNone: a coinbase with two Accepts for our
// sidechain records neither (the reference enforcer's MultipleBmmBlocks),
// logged once with the block hash in hex; an Accept for another sidechain
// next to ours does not count.
func TestSeveralAcceptsCommitNone(t *testing.T) {
	main, st, _ := setup(t, 1)
	var logs bytes.Buffer
	f := New(main, st, Options{Sidechain: sc, StartHeight: 1,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	main.Mine(acc(1))                                                       // 1
	bad := main.Mine(acc(2), acc(3))                                        // 2: two for us
	dup := main.Mine(acc(4), acc(4))                                        // 3: the same h* twice
	main.Mine(acc(5), bip301.Accept{Sidechain: sc + 1, HStar: [32]byte{6}}) // 4
	res := syncOnce(t, f)
	if res.Connected != 4 || res.Refused != 2 {
		t.Fatalf("sync %+v", res)
	}
	for _, tc := range []struct {
		b    byte
		want int64
	}{{1, 1}, {2, -1}, {3, -1}, {4, -1}, {5, 4}} {
		if got := where(t, st, tc.b); got != tc.want {
			t.Errorf("h*(%d) at %d, want %d", tc.b, got, tc.want)
		}
	}
	syncOnce(t, f)
	for _, h := range []sdk.Hash{bad, dup} {
		if n := strings.Count(logs.String(), `"hash":"`+h.String()+`"`); n != 1 {
			t.Errorf("block %s logged %d times, want once:\n%s", h, n, logs.String())
		}
	}
	if n := strings.Count(logs.String(), "several BMM Accepts"); n != 2 {
		t.Errorf("%d warnings, want 2:\n%s", n, logs.String())
	}
}

// TestMainDown: a call that cannot reach the node marks it down; any
// answer, an error answer included, marks it up; a sync cut short by its
// own context says nothing. MainDown kicks Run while down.
func TestMainDown(t *testing.T) {
	main, _, f := setup(t, 1)
	main.Mine()
	if err := f.MainDown(); err != nil {
		t.Fatalf("before any poll: %v", err)
	}
	main.Fail = sdk.Errorf(sdk.KindUnavailable, "daemon unavailable: connection refused")
	f.Sync(context.Background())
	if err := f.MainDown(); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("after a failed poll: %v", err)
	}
	if len(f.kick) != 1 {
		t.Fatal("MainDown while down did not kick Run")
	}
	<-f.kick
	main.Fail = sdk.DaemonError(-28, "Loading block index")
	f.Sync(context.Background())
	if err := f.MainDown(); err != nil {
		t.Fatalf("node answered with an error, still down: %v", err)
	}
	if len(f.kick) != 0 {
		t.Fatal("MainDown kicked while up")
	}
	main.Fail = sdk.Errorf(sdk.KindUnavailable, "down")
	f.Sync(context.Background())
	main.Fail = nil
	syncOnce(t, f)
	if err := f.MainDown(); err != nil {
		t.Fatalf("after a good poll: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	main.Fail = context.Canceled
	f.Sync(ctx)
	if err := f.MainDown(); err != nil {
		t.Fatalf("a cancelled sync marked the node down: %v", err)
	}
}

// stuck never answers before the context ends, as a node that black-holes
// requests (the rpc client retries until then).
type stuck struct{}

func (stuck) BlockCount(ctx context.Context) (int64, error) {
	<-ctx.Done()
	return 0, sdk.Errorf(sdk.KindUnavailable, "daemon unavailable: %w", ctx.Err())
}
func (stuck) BlockHash(ctx context.Context, _ int64) (sdk.Hash, error) {
	<-ctx.Done()
	return sdk.Hash{}, ctx.Err()
}
func (stuck) Block(ctx context.Context, _ sdk.Hash) (mainchain.Block, error) {
	<-ctx.Done()
	return mainchain.Block{}, ctx.Err()
}

// TestStuckNodeIsDownAfterCallTimeout: the follower's poll gives up on a
// node that does not answer after CallTimeout (not the 2-minute sync
// bound), and from then on MainDown reports it.
func TestStuckNodeIsDownAfterCallTimeout(t *testing.T) {
	// Opened outside the bubble: buntdb's background goroutine outlives
	// Close.
	st, err := store.Open(":memory:", store.Meta{Sidechain: sc, StartHeight: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	synctest.Test(t, func(t *testing.T) {
		f := New(stuck{}, st, Options{Sidechain: sc, StartHeight: 1, CallTimeout: 3 * time.Second})
		start := time.Now()
		if _, err := f.Sync(context.Background()); err == nil {
			t.Fatal("Sync against a stuck node succeeded")
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("poll gave up after %v, want CallTimeout 3s", d)
		}
		if err := f.MainDown(); err == nil {
			t.Fatal("stuck node not reported down")
		}
	})
}

// TestRebuildAfterRestart: the node came back with a new chain (btcd
// regtest wipes its chain on restart), longer than the old one. Nothing
// followed is on it: the store is emptied in one go and rebuilt, and no old
// commitment survives.
func TestRebuildAfterRestart(t *testing.T) {
	main, st, _ := setup(t, 1)
	var logs bytes.Buffer
	f := New(main, st, Options{Sidechain: sc, StartHeight: 1, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	for i := byte(1); i <= 5; i++ {
		main.Mine(acc(i))
	}
	syncOnce(t, f)
	main.Rewind(0) // the restart
	for i := 0; i < 7; i++ {
		if i == 5 {
			main.Mine(acc(9))
		} else {
			main.Mine()
		}
	}
	res := syncOnce(t, f)
	if res.Disconnected != 5 || res.Connected != 7 || res.Height != 7 {
		t.Fatalf("sync after the restart %+v", res)
	}
	for i := byte(1); i <= 5; i++ {
		if got := where(t, st, i); got != -1 {
			t.Errorf("old h*(%d) still at %d", i, got)
		}
	}
	if got := where(t, st, 9); got != 6 {
		t.Errorf("new h*(9) at %d, want 6", got)
	}
	if n, e, _ := st.Len(); n != 7 || e != 1 {
		t.Fatalf("store holds %d blocks, %d entries, want 7, 1", n, e)
	}
	if !strings.Contains(logs.String(), "rebuilding the BMM index") {
		t.Fatalf("no rebuild logged:\n%s", logs.String())
	}
	// Back at genesis only (shorter than the store): emptied too.
	main.Rewind(0)
	if res := syncOnce(t, f); res.Disconnected != 7 || res.Height != 0 {
		t.Fatalf("sync at genesis %+v", res)
	}
	if n, e, _ := st.Len(); n != 0 || e != 0 {
		t.Fatalf("store holds %d blocks, %d entries at genesis", n, e)
	}
}
