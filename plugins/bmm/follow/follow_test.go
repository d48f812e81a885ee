package follow

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/internal/testchain"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/sdk"
)

const sc = 2

func acc(b byte) bip301.Accept { return bip301.Accept{Sidechain: sc, HStar: [32]byte{b}} }

func setup(t *testing.T, start int64) (*testchain.Fake, *store.Store, *Follower) {
	t.Helper()
	st, err := store.Open(":memory:", store.Meta{Sidechain: sc, StartHeight: start}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	main := testchain.NewFake()
	return main, st, New(main, st, Options{Sidechain: sc, StartHeight: start})
}

func syncOnce(t *testing.T, f *Follower) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := f.Sync(ctx)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return res
}

// where returns the main height h* was accepted at, or -1.
func where(t *testing.T, st *store.Store, b byte) int64 {
	t.Helper()
	e, ok, err := st.Lookup(sdk.Hash(acc(b).HStar))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return -1
	}
	return e.MainHeight
}

func TestFollowAndReorg(t *testing.T) {
	main, st, f := setup(t, 2)
	main.Mine(acc(1))                                                  // 1: before start, ignored
	main.Mine(acc(2), bip301.Accept{Sidechain: 9, HStar: [32]byte{3}}) // 2
	main.Mine()                                                        // 3
	main.MineLayout(bip301.Pushed, acc(4))                             // 4

	if res := syncOnce(t, f); res.Connected != 3 || res.Disconnected != 0 || res.Height != 4 {
		t.Fatalf("first sync %+v", res)
	}
	for _, tc := range []struct {
		b    byte
		want int64
	}{{1, -1}, {2, 2}, {3, -1}, {4, 4}} {
		if got := where(t, st, tc.b); got != tc.want {
			t.Errorf("h*(%d) at %d, want %d", tc.b, got, tc.want)
		}
	}
	if res := syncOnce(t, f); res.Connected != 0 || res.Disconnected != 0 {
		t.Fatalf("idle sync %+v", res)
	}

	// Reorg at 3: blocks 3 and 4 are replaced; the new branch commits h*(4)
	// at 5 and a new h*(5) at 3.
	main.Rewind(2)
	main.Mine(acc(5)) // 3'
	main.Mine()       // 4'
	main.Mine(acc(4)) // 5'
	if res := syncOnce(t, f); res.Disconnected != 2 || res.Connected != 3 || res.Height != 5 {
		t.Fatalf("reorg sync %+v", res)
	}
	if got := where(t, st, 4); got != 5 {
		t.Fatalf("h*(4) at %d after the reorg, want 5", got)
	}
	if got := where(t, st, 5); got != 3 {
		t.Fatalf("h*(5) at %d, want 3", got)
	}
	cur, _, _ := st.Cursor()
	if h, _ := main.BlockHash(context.Background(), 5); cur.Hash != h {
		t.Fatalf("cursor %s, best chain %s", cur.Hash, h)
	}

	// A shorter best chain that drops the commitment: the store follows it.
	main.Rewind(3)
	if res := syncOnce(t, f); res.Disconnected != 2 || res.Height != 3 {
		t.Fatalf("shorter chain sync %+v", res)
	}
	if got := where(t, st, 4); got != -1 {
		t.Fatalf("h*(4) still at %d", got)
	}
}

func TestReorgBelowStart(t *testing.T) {
	main, st, f := setup(t, 2)
	main.Mine()
	main.Mine(acc(1))
	syncOnce(t, f)
	main.Rewind(1)
	main.Mine(acc(2))
	if res := syncOnce(t, f); res.Disconnected != 1 || res.Connected != 1 {
		t.Fatalf("sync %+v", res)
	}
	if where(t, st, 1) != -1 || where(t, st, 2) != 2 {
		t.Fatalf("h*(1) at %d, h*(2) at %d", where(t, st, 1), where(t, st, 2))
	}
}

func TestStartAboveTip(t *testing.T) {
	main, st, f := setup(t, 5)
	main.Mine(acc(1))
	if res := syncOnce(t, f); res.Connected != 0 || res.Height != 4 {
		t.Fatalf("sync %+v", res)
	}
	if _, ok, _ := st.Cursor(); ok {
		t.Fatal("cursor set below the start height")
	}
}

func TestMainchainDown(t *testing.T) {
	main, _, f := setup(t, 1)
	main.Mine()
	main.Fail = sdk.Errorf(sdk.KindUnavailable, "mainchain down")
	if _, err := f.Sync(context.Background()); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("Sync error %v, want unavailable", err)
	}
}

func TestRunFollowsNewBlocks(t *testing.T) {
	main, st, _ := setup(t, 1)
	f := New(main, st, Options{Sidechain: sc, StartHeight: 1, PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	main.Mine(acc(7))
	deadline := time.After(30 * time.Second)
	for where(t, st, 7) != 1 {
		f.Kick()
		select {
		case <-deadline:
			t.Fatal("Run did not record the new block")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}
