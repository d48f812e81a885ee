package index

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// TestQueriesDuringProcessing checks snapshot invariants of queries running
// while the processor syncs, reorgs and follows the mempool.
func TestQueriesDuringProcessing(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 30, 21, 1)
	b := genChain(a[:20], 15, 22, 2)
	chain := &fakeChain{}
	chain.set(a)
	ix := newTestIndex(t, chain, nil, func(o *Options) { o.BatchBlocks = 2 })
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var checks atomic.Int64
	for _, s := range scriptPool[:5] {
		wg.Add(1)
		go func(h HashX) {
			defer wg.Done()
			for !stop.Load() {
				conf, mem, err := ix.History(ctx, h, 0)
				if err != nil {
					t.Error(err)
					return
				}
				seen := map[sdk.Hash]bool{}
				for i, c := range conf {
					if i > 0 && c.Height < conf[i-1].Height || seen[c.TxHash] {
						t.Errorf("bad history %v", conf)
						return
					}
					seen[c.TxHash] = true
				}
				for _, m := range mem {
					if seen[m.TxHash] {
						t.Errorf("txid %s both confirmed and in mempool", m.TxHash)
						return
					}
				}
				_, _, _, err1 := ix.Balance(ctx, h)
				_, _, err2 := ix.ListUnspent(ctx, h)
				if err1 != nil || err2 != nil {
					t.Error(err1, err2)
					return
				}
				checks.Add(1)
			}
		}(hx(s))
	}
	settle(t, ix)
	chain.set(b)
	settle(t, ix)
	stop.Store(true)
	wg.Wait()
	if checks.Load() == 0 {
		t.Error("no concurrent query ran")
	}
}
