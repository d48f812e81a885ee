package index

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

var errCrash = errors.New("simulated crash")

// failStore fails its failAt-th Update after running fn (so the transaction
// is rolled back after all its writes were made), like a crash before commit.
type failStore struct {
	store.Store
	failAt, calls int
}

// crashing reports whether this commit (counted across Update, Load and
// BulkLoad) is the one to fail.
func (f *failStore) crashing() bool {
	f.calls++
	return f.calls == f.failAt
}

// crashAfter is fn, then errCrash: the commit rolled back after all its
// writes.
func crashAfter[W any](fn func(W) error) func(W) error {
	return func(w W) error {
		if err := fn(w); err != nil {
			return err
		}
		return errCrash
	}
}

func (f *failStore) Update(ctx context.Context, fn func(store.RWTx) error) error {
	if f.crashing() {
		fn = crashAfter(fn)
	}
	return f.Store.Update(ctx, fn)
}

// Load counts as Update does, so that the initial sync's write-only
// commits (store.Loader, pebble) fail in turn too; on a store without
// Load it runs fn in an Update.
func (f *failStore) Load(ctx context.Context, fn func(store.Writer) error) error {
	l, ok := f.Store.(store.Loader)
	if !ok {
		return f.Update(ctx, func(tx store.RWTx) error { return fn(tx) })
	}
	if f.crashing() {
		fn = crashAfter(fn)
	}
	return l.Load(ctx, fn)
}

// BulkLoad counts as Load does; on a store without BulkLoad it runs fn in
// a Load.
func (f *failStore) BulkLoad(ctx context.Context, size int64, fn func(store.Writer) error) error {
	l, ok := f.Store.(store.BulkLoader)
	if !ok {
		return f.Load(ctx, fn)
	}
	if f.crashing() {
		fn = crashAfter(fn)
	}
	return l.BulkLoad(ctx, size, fn)
}

// runUntil runs processor steps until the index reaches chain's tip or a
// step fails.
func runUntil(ix *Index, chain *fakeChain) error {
	for i := 0; i < 200; i++ {
		wait, err := ix.step(context.Background())
		if err != nil {
			return err
		}
		tip, _ := chain.Tip(context.Background())
		if h, hash, _ := ix.Tip(); wait && h == tip.Height && hash == tip.Hash {
			return nil
		}
	}
	return errors.New("did not settle")
}

// TestCrashSafety fails every commit of a sync and a reorg in turn (the
// transaction rolled back after all its writes) on each store engine: the
// store must then hold a fresh sync's state of some prefix of a chain, and
// resuming must reach the fresh state of the final chain.
func TestCrashSafety(t *testing.T) {
	for _, engine := range testEngines {
		t.Run(engine, func(t *testing.T) { testCrashSafety(t, engine) })
	}
}

func testCrashSafety(t *testing.T, engine string) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 10, 11, 1)
	b := genChain(a[:5], 8, 12, 2)
	scenario := func(s store.Store) (*fakeChain, error) {
		chain := &fakeChain{}
		chain.set(a)
		ix := newTestIndex(t, chain, s, nil)
		if err := runUntil(ix, chain); err != nil {
			return chain, err
		}
		chain.set(b)
		return chain, runUntil(ix, chain)
	}
	counter := &failStore{Store: openTestStore(t, engine)}
	if _, err := scenario(counter); err != nil {
		t.Fatal(err)
	}
	total := counter.calls
	if total < 10 {
		t.Fatalf("only %d updates in the scenario", total)
	}
	fresh := map[sdk.Hash][]string{} // tip hash → dump of a fresh sync to it
	freshDump := func(blocks []*wire.MsgBlock) []string {
		tip := sdk.Hash(blocks[len(blocks)-1].BlockHash())
		if d, ok := fresh[tip]; ok {
			return d
		}
		chain := &fakeChain{}
		chain.set(blocks)
		ix := newTestIndex(t, chain, nil, nil)
		settle(t, ix)
		fresh[tip] = dumpStore(t, ix.st)
		return fresh[tip]
	}
	// Batching depends on prefetch timing, so the number of commits varies
	// between runs: fail the n-th one until a run has fewer commits.
	for n := 1; ; n++ {
		inner := openTestStore(t, engine)
		fs := &failStore{Store: inner, failAt: n}
		_, err := scenario(fs)
		if err == nil && fs.calls < n {
			if n <= total/2 {
				t.Fatalf("only %d crash points tested", n-1)
			}
			break
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("failAt %d: scenario err = %v", n, err)
		}
		chain := &fakeChain{}
		chain.set(b)
		ix := newTestIndex(t, chain, inner, nil)
		h, tip, _ := ix.Tip()
		var ref []*wire.MsgBlock
		switch {
		case h < 0:
			ref = nil
		case h < int64(len(a)) && tip == sdk.Hash(a[h].BlockHash()):
			ref = a[:h+1]
		case h < int64(len(b)) && tip == sdk.Hash(b[h].BlockHash()):
			ref = b[:h+1]
		default:
			t.Fatalf("failAt %d: tip %d %s is on neither chain", n, h, tip)
		}
		got := dumpStore(t, inner)
		if ref == nil {
			if len(got) != 0 {
				t.Fatalf("failAt %d: empty state but %d keys", n, len(got))
			}
		} else if want := freshDump(ref); !reflect.DeepEqual(got, want) {
			t.Fatalf("failAt %d: state at %d differs from a fresh sync", n, h)
		}
		// Resuming reaches exactly the fresh state of chain b.
		settle(t, ix)
		if !reflect.DeepEqual(dumpStore(t, inner), freshDump(b)) {
			t.Fatalf("failAt %d: resumed state differs from a fresh sync of b", n)
		}
	}
}

// TestDiskBacked runs the index on each disk engine, closes and reopens
// the store: the keys and every query answer must be the same.
func TestDiskBacked(t *testing.T) {
	for _, engine := range store.Engines {
		t.Run(engine, func(t *testing.T) {
			a := genChain([]*wire.MsgBlock{genesisBlock()}, 6, 5, 1)
			dir := t.TempDir()
			open := func(sync store.SyncPolicy) store.Store {
				s, err := store.Open(context.Background(), dir, store.Options{Engine: engine, Sync: sync, CacheMB: 16})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			s := open(store.SyncNever)
			chain := &fakeChain{}
			chain.set(a)
			ix := newTestIndex(t, chain, s, nil)
			settle(t, ix)
			want := queryDump(t, ix)
			wantKeys := dumpStore(t, s)
			_ = ix.Close()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = open(store.SyncEverySecond)
			defer s.Close()
			ix = newTestIndex(t, chain, s, nil)
			if got := dumpStore(t, s); !reflect.DeepEqual(got, wantKeys) {
				t.Fatal("reopened store differs")
			}
			settle(t, ix)
			if got := queryDump(t, ix); !reflect.DeepEqual(got, want) {
				t.Error("queries after reopen differ")
			}
		})
	}
}
