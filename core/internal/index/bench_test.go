package index

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/internal/store/storetest"
)

// BenchmarkHistory reads a 1,000-entry history.
func BenchmarkHistory(b *testing.B) {
	target := p2wpkh(0x42)
	blocks := genChainWithFanout([]*wire.MsgBlock{genesisBlock()}, target, 100, 10)
	chain := &fakeChain{}
	chain.set(blocks)
	ix := newTestIndex(b, chain, nil, func(o *Options) { o.BatchBlocks = 100 })
	settle(b, ix)
	ctx := context.Background()
	conf, _, err := ix.History(ctx, hx(target), 0)
	if err != nil || len(conf) < 1000 {
		b.Fatalf("history has %d entries, %v", len(conf), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := ix.History(ctx, hx(target), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryEngines reads a 1,000-entry history, its unspent outputs
// and its balance on each file-backed store engine (issue #10: query
// latency on pebble against buntdb), with the data flushed to the engine's
// files: for pebble, tables after a reopen, not the memtable. The plain
// runs repeat a query between two commits (served by the query cache after
// the first); the /cold runs read the store every time. get_history_empty
// asks for a script without history: the fixed cost of a request.
func BenchmarkQueryEngines(b *testing.B) {
	target := p2wpkh(0x42)
	blocks := genChainWithFanout([]*wire.MsgBlock{genesisBlock()}, target, 100, 10)
	for _, engine := range store.Engines {
		dir := b.TempDir()
		open := func() store.Store {
			s, err := store.Open(context.Background(), dir, store.Options{Engine: engine, Sync: store.SyncNever, CacheMB: 64})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}
		chain := &fakeChain{}
		chain.set(blocks)
		s := open()
		settle(b, newTestIndex(b, chain, s, func(o *Options) { o.BatchBlocks = 100 }))
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		s = open()
		ix := newTestIndex(b, chain, s, nil)
		settle(b, ix)
		ctx := context.Background()
		h := hx(target)
		for _, q := range []struct {
			name string
			fn   func() error
		}{
			{"get_history", func() error { _, _, err := ix.History(ctx, h, 0); return err }},
			{"listunspent", func() error { _, _, err := ix.ListUnspent(ctx, h); return err }},
			{"get_balance", func() error { _, _, _, err := ix.Balance(ctx, h); return err }},
			{"get_history_empty", func() error { _, _, err := ix.History(ctx, hx(p2wpkh(0x99)), 0); return err }},
		} {
			b.Run(engine+"/"+q.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := q.fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
			// cold: every query reads the store (an empty commit drops
			// the query cache first).
			b.Run(engine+"/"+q.name+"/cold", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = ix.qc.writeStore(nil, func() error { return nil })
					if err := q.fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		_ = s.Close()
	}
}

// genChainWithFanout builds n blocks of perBlock txs each paying target: the
// coinbase pays perBlock-1 outputs that the block's other txs spend.
func genChainWithFanout(base []*wire.MsgBlock, target []byte, n, perBlock int) []*wire.MsgBlock {
	blocks := append([]*wire.MsgBlock(nil), base...)
	for k := 0; k < n; k++ {
		h := int64(len(blocks))
		outs := make([]out, perBlock)
		for i := range outs {
			outs[i] = out{target, 1000}
		}
		cb := coinbase(h, 0, outs...)
		txs := []*wire.MsgTx{cb}
		for i := 1; i < perBlock; i++ {
			txs = append(txs, spend([]wire.OutPoint{op(cb, uint32(i))}, i%2 == 0, out{target, 900}, out{p2pkh(byte(i)), 50}))
		}
		blocks = append(blocks, mkBlock(blocks[len(blocks)-1], h, 0, txs...))
	}
	return blocks
}

// BenchmarkApplyBlocks indexes 50 random blocks per iteration.
func BenchmarkApplyBlocks(b *testing.B) {
	blocks := genChain([]*wire.MsgBlock{genesisBlock()}, 50, 1, 1)
	blocks = genChainWithFanout(blocks, p2wpkh(7), 50, 20)
	chain := &fakeChain{}
	chain.set(blocks)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := newTestIndex(b, chain, storetest.OpenMemory(), func(o *Options) { o.BatchBlocks = 100 })
		settle(b, ix)
	}
}
