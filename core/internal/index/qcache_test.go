package index

import (
	"context"
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
	_ = c.writeStore(func() error {
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
	_ = c.writeStore(func() error { return nil })
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
// after new blocks and after a reorg, and a caller changing a returned
// slice does not change the next answer.
func TestQueryCacheFollowsChain(t *testing.T) {
	target := p2wpkh(0x42)
	h := hx(target)
	base := genChainWithFanout([]*wire.MsgBlock{genesisBlock()}, target, 4, 3)
	longer := genChainWithFanout(base, target, 3, 4)
	fork := genChain(longer[:3], 6, 9, 2)
	for _, engine := range testEngines {
		t.Run(engine, func(t *testing.T) {
			chain := &fakeChain{}
			chain.set(base)
			ix := newTestIndex(t, chain, openTestStore(t, engine), func(o *Options) { o.BatchBlocks = 2 })
			for i, blocks := range [][]*wire.MsgBlock{base, longer, fork} {
				chain.set(blocks)
				settle(t, ix)
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
			}
			if ix.Status().Reorgs != 1 {
				t.Fatalf("reorgs = %d, want 1", ix.Status().Reorgs)
			}
		})
	}
}
