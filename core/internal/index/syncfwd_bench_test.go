package index

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// rawChain serves pre-serialised blocks, so that a benchmark measures the
// index and not the fake daemon's serialisation.
type rawChain struct {
	blocks []sdk.Block
}

func newRawChain(tb testing.TB, blocks []*wire.MsgBlock) *rawChain {
	tb.Helper()
	c := &rawChain{}
	for h, b := range blocks {
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			tb.Fatal(err)
		}
		c.blocks = append(c.blocks, sdk.Block{Height: int64(h), Hash: sdk.Hash(b.BlockHash()), Raw: buf.Bytes()})
	}
	return c
}

func (c *rawChain) Tip(context.Context) (sdk.Tip, error) {
	b := c.blocks[len(c.blocks)-1]
	return sdk.Tip{Height: b.Height, Hash: b.Hash}, nil
}

func (c *rawChain) BlockHashes(_ context.Context, start int64, count int) ([]sdk.Hash, error) {
	var out []sdk.Hash
	for h := start; h < start+int64(count) && h < int64(len(c.blocks)); h++ {
		out = append(out, c.blocks[h].Hash)
	}
	return out, nil
}

func (c *rawChain) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	for h := start; h < start+int64(count) && h < int64(len(c.blocks)); h++ {
		if err := yield(c.blocks[h]); err != nil {
			return err
		}
	}
	return nil
}

func (c *rawChain) MempoolTxids(context.Context) ([]sdk.Hash, error) { return nil, nil }

func (c *rawChain) MempoolTransactions(context.Context, []sdk.Hash) ([][]byte, error) {
	return nil, nil
}

// BenchmarkSyncForward runs the whole initial sync (fetch, parse, prepare,
// commit) of 600 blocks of 30 txs from a pre-serialised chain into a
// file-backed store of each engine (buntdb; pebble with cache_mb 64 and
// the sync budget the server gives it) with the server's default batching
// options; it reports wall and CPU ns per block and tx/s.
func BenchmarkSyncForward(b *testing.B) {
	blocks := genSyncChain(600, 30, 200, 1)
	chain := newRawChain(b, blocks)
	ntx := chainTxs(blocks)
	const pebbleCacheMB = 64
	engines := []struct {
		name      string
		open      func(dir string) (store.Store, error)
		syncCache int64
	}{
		{"buntdb", func(dir string) (store.Store, error) {
			return store.OpenBunt(filepath.Join(dir, "db"), store.BuntOptions{Sync: store.SyncNever})
		}, 0},
		{"pebble", func(dir string) (store.Store, error) {
			return store.OpenPebble(dir, store.PebbleOptions{Sync: store.SyncNever, CacheMB: pebbleCacheMB})
		}, store.PlanCache(store.EnginePebble, pebbleCacheMB).FlushBytes},
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			var cpu int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := e.open(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				ix, err := Open(ctx, Options{Store: s, Chain: chain, Genesis: chain.blocks[0].Hash, Logger: discardLogger(), SyncCacheBytes: e.syncCache})
				if err != nil {
					b.Fatal(err)
				}
				cpu += timedSync(ctx, b, ix, int64(len(blocks)-1))
				if h, _, _ := ix.Tip(); h != int64(len(blocks)-1) {
					b.Fatal(fmt.Sprintf("synced to %d", h))
				}
				_ = s.Close()
			}
			nblk := float64(b.N * (len(blocks) - 1))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/nblk, "ns/block")
			b.ReportMetric(float64(cpu)/nblk, "cpu-ns/block")
			b.ReportMetric(float64(b.N*ntx)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// chainTxs counts the transactions of blocks after the genesis block.
func chainTxs(blocks []*wire.MsgBlock) int {
	n := 0
	for _, blk := range blocks[1:] {
		n += len(blk.Transactions)
	}
	return n
}

// timedSync runs ix's forward sync to target with the benchmark's timer
// on and returns the process CPU time it took.
func timedSync(ctx context.Context, b *testing.B, ix *Index, target int64) int64 {
	b.StartTimer()
	c0 := cpuTime()
	if err := ix.syncForward(ctx, target); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	return int64(cpuTime() - c0)
}
