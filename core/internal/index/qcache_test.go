package index

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// TestQueryCacheGenerations: an answer read across a commit, or during
// one, is not kept, and a kept one is not served after the next commit.
func TestQueryCacheGenerations(t *testing.T) {
	var c queryCache
	h := hx(p2wpkh(1))
	rows := []Confirmed{{Height: 7}}
	g, ok := c.begin()
	if !ok {
		t.Fatal("fresh cache: not cacheable")
	}
	_ = c.writeStore(nil, func() error {
		if _, ok := c.begin(); ok {
			t.Error("cacheable while a commit is under way")
		}
		c.putHistory(g, h, rows)
		if _, ok := c.history(h); ok {
			t.Error("hit while a commit is under way")
		}
		return nil
	})
	c.putHistory(g, h, rows)
	if _, ok := c.history(h); ok {
		t.Error("an answer read before a commit was served after it")
	}
	g, _ = c.begin()
	c.putHistory(g, h, rows)
	c.putBalance(g, h, balanceEntry{sum: 5, n: 1})
	c.putUnspent(g, h, []UTXO{{Value: 5}})
	if got, ok := c.history(h); !ok || !reflect.DeepEqual(got, rows) {
		t.Errorf("history = %v, %v; want %v, hit", got, ok, rows)
	}
	if b, ok := c.balance(h); !ok || b.sum != 5 || b.n != 1 {
		t.Errorf("balance = %+v, %v", b, ok)
	}
	if _, ok := c.unspent(h); !ok {
		t.Error("unspent: miss")
	}
	_ = c.writeStore(nil, func() error { return nil })
	if _, ok := c.history(h); ok {
		t.Error("history served after a commit")
	}
	if _, ok := c.balance(h); ok {
		t.Error("balance served after a commit")
	}
	if _, ok := c.unspent(h); ok {
		t.Error("unspent served after a commit")
	}
}

// queryAnswers is what the cached queries return for one script.
type queryAnswers struct {
	Hist    []Confirmed
	Utxos   []UTXO
	Bal, N  int64
	TooMany bool
}

func answers(t *testing.T, ix *Index, h HashX) queryAnswers {
	t.Helper()
	ctx := context.Background()
	var a queryAnswers
	var err error
	if a.Hist, _, err = ix.History(ctx, h, 0); err != nil {
		t.Fatal(err)
	}
	if a.Utxos, _, err = ix.ListUnspent(ctx, h); err != nil {
		t.Fatal(err)
	}
	var n int
	if a.Bal, _, n, err = ix.Balance(ctx, h); err != nil {
		t.Fatal(err)
	}
	a.N = int64(n)
	_, _, err = ix.History(ctx, h, len(a.Hist))
	a.TooMany = err == ErrHistoryTooLarge
	return a
}

// TestQueryCacheFollowsChain: on each engine, repeated queries (served
// from the cache) answer what a fresh index over the same chain answers,
// after new blocks and after a reorg, for the scripts the blocks touched
// and for the others, and a caller changing a returned slice does not
// change the next answer.
func TestQueryCacheFollowsChain(t *testing.T) {
	target := p2wpkh(0x42)
	h := hx(target)
	base := genChainWithFanout([]*wire.MsgBlock{genesisBlock()}, target, 4, 3)
	longer := genChainWithFanout(base, target, 3, 4)
	fork := genChain(longer[:3], 6, 9, 2)
	others := append([][]byte{p2pkh(1), p2pkh(2), p2pkh(3)}, scriptPool...)
	for _, engine := range testEngines {
		t.Run(engine, func(t *testing.T) {
			chain := &fakeChain{}
			chain.set(base)
			ix := newTestIndex(t, chain, openTestStore(t, engine), func(o *Options) { o.BatchBlocks = 2 })
			for i, blocks := range [][]*wire.MsgBlock{base, longer, fork} {
				chain.set(blocks)
				settle(t, ix)
				if i == 1 {
					// The blocks added after catch-up pay the target
					// and p2pkh(1..3) only: p2wpkh(3)'s answer of the
					// step before is still cached.
					if _, ok := ix.qc.history(hx(p2wpkh(3))); !ok {
						t.Error("an untouched script's history was dropped by a commit that names what it touched")
					}
				}
				refChain := &fakeChain{}
				refChain.set(blocks)
				ref := newTestIndex(t, refChain, nil, nil)
				settle(t, ref)
				want := answers(t, ref, h)
				if !want.TooMany || len(want.Hist) == 0 {
					t.Fatalf("chain %d: reference answers %+v", i, want)
				}
				first := answers(t, ix, h)
				if _, ok := ix.qc.history(h); !ok {
					t.Errorf("chain %d: history not cached after a query", i)
				}
				first.Hist[0].Height = -5
				first.Utxos[0].Value = -5
				for rep := 0; rep < 2; rep++ {
					if got := answers(t, ix, h); !reflect.DeepEqual(got, want) {
						t.Fatalf("chain %d, query %d:\n got %+v\nwant %+v", i, rep, got, want)
					}
				}
				// Every other script, touched by this step's blocks or
				// not, answers as the reference does (its entry cached
				// at the previous step was dropped or carried over).
				for j, o := range others {
					if got, want := answers(t, ix, hx(o)), answers(t, ref, hx(o)); !reflect.DeepEqual(got, want) {
						t.Fatalf("chain %d, script %d:\n got %+v\nwant %+v", i, j, got, want)
					}
				}
			}
			if ix.Status().Reorgs != 1 {
				t.Fatalf("reorgs = %d, want 1", ix.Status().Reorgs)
			}
		})
	}
}

// TestQueryCacheKeepsUntouched: a commit that names the scripts it
// touched drops only their entries; one that does not, or that fails,
// drops every entry; an entry read during a commit is not kept.
func TestQueryCacheKeepsUntouched(t *testing.T) {
	a, b := hx(p2wpkh(1)), hx(p2wpkh(2))
	fill := func(c *queryCache) {
		g, _ := c.begin()
		for _, h := range []HashX{a, b} {
			c.putHistory(g, h, []Confirmed{{Height: 7}})
			c.putUnspent(g, h, []UTXO{{Value: 5}})
			c.putBalance(g, h, balanceEntry{sum: 5, n: 1})
		}
	}
	hits := func(c *queryCache, h HashX) int {
		n := 0
		if _, ok := c.history(h); ok {
			n++
		}
		if _, ok := c.unspent(h); ok {
			n++
		}
		if _, ok := c.balance(h); ok {
			n++
		}
		return n
	}
	errFail := errors.New("commit failed")
	for _, tc := range []struct {
		name         string
		touched      touchSet
		err          error
		wantA, wantB int
	}{
		{"touched a", touchSet{a: {}}, nil, 0, 3},
		{"touched nothing", touchSet{}, nil, 3, 3},
		{"unknown", nil, nil, 0, 0},
		{"failed", touchSet{a: {}}, errFail, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c queryCache
			fill(&c)
			full := c.bytes
			err := c.writeStore(tc.touched, func() error { return tc.err })
			if err != tc.err {
				t.Fatalf("writeStore = %v, want %v", err, tc.err)
			}
			if ga, gb := hits(&c, a), hits(&c, b); ga != tc.wantA || gb != tc.wantB {
				t.Errorf("hits after the commit: a %d, b %d; want %d, %d", ga, gb, tc.wantA, tc.wantB)
			}
			if tc.wantA == 0 && tc.wantB == 3 && c.bytes != full/2 {
				t.Errorf("bytes %d after dropping a, want %d", c.bytes, full/2)
			}
			// The next commit still drops what it names.
			_ = c.writeStore(touchSet{b: {}}, func() error { return nil })
			if n := hits(&c, b); n != 0 {
				t.Errorf("b: %d hits after a commit that touched it", n)
			}
		})
	}
	// An answer read before a commit and put after it is not kept, even
	// for a script the commit did not touch.
	var c queryCache
	g, _ := c.begin()
	_ = c.writeStore(touchSet{a: {}}, func() error { return nil })
	c.putHistory(g, b, []Confirmed{{Height: 1}})
	if _, ok := c.history(b); ok {
		t.Error("an answer read before a commit was kept")
	}
}
