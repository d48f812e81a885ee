package index

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// BenchmarkSyncForwardLarge runs the initial sync of 600 blocks of 500 txs
// (300,600 txs: batches of the size amberd's cache_mb 500 gives, so the
// batch recycling and the output cache's generations are exercised) into
// pebble with cache_mb 500, under the Go memory limit amberd sets for it
// (450 MiB; AMBER_BENCH_MEMLIMIT_MB sets another). Beside CPU per
// transaction it reports what the runtime spent: the garbage collector's
// and the scavenger's CPU (runtime/metrics estimates) and the number of
// collections, which depend less on what else runs on the machine than
// the CPU totals.
func BenchmarkSyncForwardLarge(b *testing.B) {
	blocks := genSyncChain(600, 500, 20000, 1)
	chain := newRawChain(b, blocks)
	ntx := chainTxs(blocks)
	const cacheMB = 500
	limitMB := int64(450)
	if v := os.Getenv("AMBER_BENCH_MEMLIMIT_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatalf("AMBER_BENCH_MEMLIMIT_MB: %v", err)
		}
		limitMB = n
	}
	old := debug.SetMemoryLimit(limitMB << 20)
	defer debug.SetMemoryLimit(old)
	ctx := context.Background()
	b.ReportAllocs()
	samples := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/scavenge/total:cpu-seconds"}}
	var cpu int64
	var gcs, scav float64
	var ngc uint32
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := store.OpenPebble(b.TempDir(), store.PebbleOptions{Sync: store.SyncNever, CacheMB: cacheMB})
		if err != nil {
			b.Fatal(err)
		}
		ix, err := Open(ctx, Options{Store: s, Chain: chain, Genesis: chain.blocks[0].Hash, Logger: discardLogger(),
			SyncCacheBytes: store.PlanCache(store.EnginePebble, cacheMB).FlushBytes})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		gc0 := ms.NumGC
		metrics.Read(samples)
		g0, s0 := samples[0].Value.Float64(), samples[1].Value.Float64()
		cpu += timedSync(ctx, b, ix, int64(len(blocks)-1))
		metrics.Read(samples)
		gcs += samples[0].Value.Float64() - g0
		scav += samples[1].Value.Float64() - s0
		runtime.ReadMemStats(&ms)
		ngc += ms.NumGC - gc0
		_ = s.Close()
	}
	n := float64(b.N)
	b.ReportMetric(float64(cpu)/n/float64(ntx), "cpu-ns/tx")
	b.ReportMetric(gcs/n, "gc-cpu-s")
	b.ReportMetric(scav/n, "scav-cpu-s")
	b.ReportMetric(float64(ngc)/n, "gcs")
}

// BenchmarkSequencer runs the sequencer's work alone (prepareBlock for
// every block, batches of 50 blocks handed off as the pipeline does: the
// layer before retired into the cache of recent outputs) over 600 blocks
// of 500 txs, pre-parsed as the workers leave them; nothing is committed
// (every spent output is in a layer or the cache). One goroutine: its time
// per op moves less with the machine's load than a whole sync's.
func BenchmarkSequencer(b *testing.B) {
	blocks := genSyncChain(600, 500, 20000, 1)
	parsed := parseAll(b, blocks)
	works := make([]*blockWork, len(parsed))
	for h, p := range parsed {
		w := &blockWork{p: p}
		nin := 0
		for i, tx := range p.msg.Transactions {
			w.outHX = appendOutHX(w.outHX, tx)
			if i > 0 {
				nin += len(tx.TxIn)
			}
		}
		w.in = make([]prefetch, nin)
		works[h] = w
	}
	chain := &fakeChain{}
	chain.set(blocks[:1])
	ix := newTestIndex(b, chain, nil, nil)
	last := int64(len(blocks) - 1)
	const perBatch = 50
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		pl := &pipeline{ix: ix, target: last, undoFloor: last - 200, cache: newOutCache(80 << 20)}
		cur := newSyncBatch(1, ix.state(), nil)
		for h, w := range works {
			if err := pl.prepareBlock(ctx, cur, w); err != nil {
				b.Fatal(err)
			}
			if (h+1)%perBatch == 0 || h == len(works)-1 {
				pl.cache.retire(pl.prev)
				pl.prev = &cur.lay
				cur = newSyncBatch(cur.num+1, cur.st, cur)
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkOutCacheRetire retires 60 layers of 20,000 new outputs (each
// spending 10,000 of the outputs cached before) into a cache of 100,000
// entries per generation, so that the generations roll about every five
// layers; B/op is what the rolls allocate.
func BenchmarkOutCacheRetire(b *testing.B) {
	const layers, perLayer, spends = 60, 20000, 10000
	lays := make([]*layer, layers)
	n := 0
	for i := range lays {
		l := &layer{live: make(map[outpoint]outVal, perLayer), spent: make(map[outpoint]struct{}, spends)}
		for j := 0; j < spends && i > 0; j++ {
			k := (i-1)*perLayer + 2*j // half of the layer before's outputs
			l.spent[outpoint{txid: sdk.Hash{byte(k), byte(k >> 8), byte(k >> 16)}}] = struct{}{}
		}
		for j := 0; j < perLayer; j++ {
			l.live[outpoint{txid: sdk.Hash{byte(n), byte(n >> 8), byte(n >> 16)}}] = outVal{txnum: uint64(n)}
			n++
		}
		lays[i] = l
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := newOutCache(100000 * 2 * outCacheEntryBytes)
		for _, l := range lays {
			c.retire(l)
		}
	}
}
