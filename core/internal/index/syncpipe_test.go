package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/internal/store/storetest"
	"github.com/amber-electrum/amber/sdk"
)

// pipeChain is a chain whose txs mostly spend outputs of the last few
// blocks, so that spends cross batch boundaries (layer in flight, store).
func pipeChain() []*wire.MsgBlock { return genSyncChain(90, 12, 30, 7) }

// pipeScripts are the scripts genSyncChain pays (n of them).
func pipeScripts(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		s := p2wpkh(byte(i))
		s[2] = byte(i >> 8)
		out[i] = s
	}
	return out
}

// modelView computes, independently of the index, each script's confirmed
// history (tx order) and unspent outputs.
func modelView(blocks []*wire.MsgBlock, scripts [][]byte) map[HashX][2]any {
	type utxo struct {
		hx HashX
		u  UTXO
	}
	unspent := map[wire.OutPoint]utxo{}
	hist := map[HashX][]Confirmed{}
	for h, b := range blocks {
		if h == 0 {
			continue
		}
		for i, tx := range b.Transactions {
			seen := map[HashX]bool{}
			var order []HashX
			touch := func(hx HashX) {
				if !seen[hx] {
					seen[hx] = true
					order = append(order, hx)
				}
			}
			if i > 0 {
				for _, in := range tx.TxIn {
					u := unspent[in.PreviousOutPoint]
					delete(unspent, in.PreviousOutPoint)
					touch(u.hx)
				}
			}
			for v, o := range tx.TxOut {
				if unspendable(o.PkScript) {
					continue
				}
				hx := HashXFromScript(o.PkScript)
				unspent[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(v)}] = utxo{hx, UTXO{TxHash: sdk.Hash(tx.TxHash()), TxPos: uint32(v), Height: int64(h), Value: o.Value}}
				touch(hx)
			}
			for _, hx := range order {
				hist[hx] = append(hist[hx], Confirmed{TxHash: sdk.Hash(tx.TxHash()), Height: int64(h)})
			}
		}
	}
	out := map[HashX][2]any{}
	for _, s := range scripts {
		hx := HashXFromScript(s)
		var us []UTXO
		for _, u := range unspent {
			if u.hx == hx {
				us = append(us, u.u)
			}
		}
		sortUTXOs(us)
		out[hx] = [2]any{hist[hx], us}
	}
	return out
}

func sortUTXOs(us []UTXO) {
	sort.Slice(us, func(i, j int) bool {
		if us[i].Height != us[j].Height {
			return us[i].Height < us[j].Height
		}
		if us[i].TxHash != us[j].TxHash {
			return displayLess(&us[i].TxHash, &us[j].TxHash)
		}
		return us[i].TxPos < us[j].TxPos
	})
}

func indexView(t *testing.T, ix *Index, scripts [][]byte) map[HashX][2]any {
	t.Helper()
	out := map[HashX][2]any{}
	for _, s := range scripts {
		hx := HashXFromScript(s)
		conf, _, err := ix.History(context.Background(), hx, 0)
		if err != nil {
			t.Fatal(err)
		}
		us, _, err := ix.ListUnspent(context.Background(), hx)
		if err != nil {
			t.Fatal(err)
		}
		sortUTXOs(us)
		out[hx] = [2]any{conf, us}
	}
	return out
}

// TestPipelineBatchings: whatever the batching (one block per commit,
// fixed caps, a memory budget that closes batches every few blocks, one
// batch), the pipelined sync leaves the same store rows, and its answers
// equal a model computed from the blocks.
func TestPipelineBatchings(t *testing.T) {
	blocks := pipeChain()
	scripts := pipeScripts(30)
	want := modelView(blocks, scripts)
	cases := []struct {
		name string
		mod  func(*Options)
	}{
		{"one block per batch", func(o *Options) { o.BatchBlocks = 1 }},
		{"batches of 7", func(o *Options) { o.BatchBlocks = 7; o.FetchBlocks = 5 }},
		{"budget of a few blocks", func(o *Options) { o.BatchBlocks = 0; o.SyncCacheBytes = 60_000 }},
		{"tiny prefetch", func(o *Options) { o.BatchBlocks = 0; o.PrefetchBytes = 1; o.SyncCacheBytes = 30_000 }},
		{"unbounded", func(o *Options) { o.BatchBlocks = 0; o.FetchBlocks = 200 }},
		{"batches of 3, output cache", func(o *Options) { o.BatchBlocks = 3; o.FetchBlocks = 4 }},
		{"batches of 2, output cache evicting", func(o *Options) { o.BatchBlocks = 2; o.FetchBlocks = 3 }},
	}
	cacheBytes := map[string]int64{
		"batches of 3, output cache":          64 << 20,
		"batches of 2, output cache evicting": 12 * 2 * outCacheEntryBytes, // 12 outputs a generation
	}
	var ref []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testOutCacheBytes = cacheBytes[c.name]
			defer func() { testOutCacheBytes = 0 }()
			chain := &fakeChain{}
			chain.set(blocks)
			ix := newTestIndex(t, chain, nil, func(o *Options) { o.ReorgLimit = 10; c.mod(o) })
			settle(t, ix)
			if h, _, _ := ix.Tip(); h != int64(len(blocks)-1) {
				t.Fatalf("synced to %d", h)
			}
			if got := indexView(t, ix, scripts); !reflect.DeepEqual(got, want) {
				t.Error("index answers differ from the model")
			}
			d := dumpStore(t, ix.st)
			if ref == nil {
				ref = d
			} else if !reflect.DeepEqual(d, ref) {
				t.Errorf("store rows differ from the first batching (%d vs %d rows)", len(d), len(ref))
			}
			if c.name == "budget of a few blocks" && ix.Status().Commits < 5 {
				t.Errorf("%d commits: the budget did not close batches", ix.Status().Commits)
			}
		})
	}
}

// TestPipelineCrash fails each commit of a budget-batched sync in turn:
// the store holds exactly a fresh sync's state at its height (so no batch
// is half-written and no undo row is missing), and resuming completes it.
func TestPipelineCrash(t *testing.T) {
	blocks := genSyncChain(40, 8, 20, 3)
	mod := func(o *Options) { o.BatchBlocks = 0; o.SyncCacheBytes = 40_000; o.ReorgLimit = 6 }
	fresh := map[int64][]string{}
	freshDump := func(h int64) []string {
		if d, ok := fresh[h]; ok {
			return d
		}
		chain := &fakeChain{}
		chain.set(blocks[:h+1])
		ix := newTestIndex(t, chain, nil, func(o *Options) { o.ReorgLimit = 6; o.BatchBlocks = 1 })
		settle(t, ix)
		fresh[h] = dumpStore(t, ix.st)
		return fresh[h]
	}
	tested := 0
	for n := 1; ; n++ {
		inner := storetest.OpenMemory()
		fs := &failStore{Store: inner, failAt: n}
		chain := &fakeChain{}
		chain.set(blocks)
		ix := newTestIndex(t, chain, fs, mod)
		err := runUntil(ix, chain)
		if err == nil {
			if fs.calls < n {
				break
			}
			t.Fatalf("failAt %d: no error", n)
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("failAt %d: err = %v", n, err)
		}
		tested++
		re := newTestIndex(t, chain, inner, mod)
		h, _, _ := re.Tip()
		if h >= 0 {
			// A sync towards the tip writes no undo records ReorgLimit or
			// more below it (pipeline.undoFloor); a fresh sync to h does.
			want := withoutUndoUpTo(freshDump(h), int64(len(blocks)-1)-6)
			if got := dumpStore(t, inner); !reflect.DeepEqual(got, want) {
				t.Fatalf("failAt %d: state at %d differs from a fresh sync", n, h)
			}
		}
		settle(t, re)
		if got := dumpStore(t, inner); !reflect.DeepEqual(got, freshDump(int64(len(blocks)-1))) {
			t.Fatalf("failAt %d: resumed state differs from a fresh sync", n)
		}
	}
	if tested < 3 {
		t.Fatalf("only %d crash points: the budget did not split the sync", tested)
	}
}

// withoutUndoUpTo drops the undo records (dumpStore rows) of heights up
// to floor.
func withoutUndoUpTo(rows []string, floor int64) []string {
	var out []string
	for _, r := range rows {
		var h uint32
		if k, _, _ := strings.Cut(r, "="); len(k) == 10 && k[:2] == fmt.Sprintf("%x", pUndo) {
			if _, err := fmt.Sscanf(k[2:], "%08x", &h); err == nil && int64(h) <= floor {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// TestSpendResolution covers where the sequencer finds a spent output: the
// batch itself, the previous batch's layer (committed or not), a worker's
// store lookup when it is recent enough, else the store again; a stale
// lookup never resurrects an output spent by a batch since committed.
func TestSpendResolution(t *testing.T) {
	ctx := context.Background()
	mk := func(b byte) outpoint { return outpoint{txid: sdk.Hash{b}, vout: 1} }
	ov := func(b byte) outVal {
		return outVal{hx: HashX{b}, txnum: uint64(b), value: int64(b) * 100, height: int64(b)}
	}
	inStore, gone := mk(1), mk(2)
	s := storetest.OpenMemory()
	if err := s.Update(ctx, func(tx store.RWTx) error { return tx.Set(outKey(&inStore.txid, inStore.vout), ov(1).encode()) }); err != nil {
		t.Fatal(err)
	}
	ix := &Index{st: s}
	pl := &pipeline{ix: ix}
	prev := &layer{live: map[outpoint]outVal{mk(3): ov(3)}, spent: map[outpoint]struct{}{mk(4): {}}}
	pl.prev = prev
	pl.cache = newOutCache(1 << 20)
	pl.cache.retire(&layer{live: map[outpoint]outVal{mk(8): ov(8), mk(4): ov(4)}})
	b := newSyncBatch(5, state{height: 9}, nil)
	b.lay.live[mk(5)] = ov(5)

	cases := []struct {
		name string
		op   outpoint
		pf   prefetch
		gen  int64
		want outVal
		err  bool
		dels int
	}{
		{"created in the batch", mk(5), prefetch{}, 0, ov(5), false, 0},
		{"spent twice in the batch", mk(5), prefetch{}, 0, outVal{}, true, 0},
		{"in the previous layer", mk(3), prefetch{}, 0, ov(3), false, 2},
		{"spent by the previous layer", mk(4), prefetch{ov(4), true}, 5, outVal{}, true, 0},
		{"recent lookup used", mk(6), prefetch{ov(6), true}, 3, ov(6), false, 2},
		{"stale lookup read again: found", inStore, prefetch{ov(1), true}, 2, ov(1), false, 2},
		{"stale lookup read again: spent since", gone, prefetch{ov(2), true}, 2, outVal{}, true, 0},
		{"unknown", mk(7), prefetch{}, 5, outVal{}, true, 0},
		{"in the cache of recent outputs", mk(8), prefetch{}, 0, ov(8), false, 2},
		{"in the cache, spent twice in the batch", mk(8), prefetch{}, 0, outVal{}, true, 0},
	}
	for _, c := range cases {
		before := len(b.dels)
		got, err := pl.spend(ctx, b, c.op, c.pf, c.gen)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v, error %v", c.name, got, err, c.want, c.err)
		}
		if c.err && err != nil && !errors.Is(err, errChain) {
			t.Errorf("%s: error %v is not a chain inconsistency", c.name, err)
		}
		if n := len(b.dels) - before; n != c.dels {
			t.Errorf("%s: %d deletes, want %d", c.name, n, c.dels)
		}
	}
	if _, ok := b.lay.live[mk(5)]; ok {
		t.Error("an output created and spent in the batch is still live")
	}
}

// TestCommitFailureStopsSync: a failed commit ends the sync with its error
// and nothing after it is committed.
func TestCommitFailureStopsSync(t *testing.T) {
	blocks := genSyncChain(30, 5, 10, 4)
	chain := &fakeChain{}
	chain.set(blocks)
	fs := &failStore{Store: storetest.OpenMemory(), failAt: 2}
	ix := newTestIndex(t, chain, fs, func(o *Options) { o.BatchBlocks = 4 })
	err := ix.syncForward(context.Background(), int64(len(blocks)-1))
	if !errors.Is(err, errCrash) {
		t.Fatalf("err = %v, want the commit's failure", err)
	}
	if fs.calls != 2 {
		t.Errorf("%d commits attempted, want 2", fs.calls)
	}
	// Batch sizes depend on timing: the published state is the first
	// batch's, which is what the store holds.
	re := newTestIndex(t, chain, fs.Store, nil)
	if h, hash, _ := ix.Tip(); h >= int64(len(blocks)-1) || h > 4 {
		t.Errorf("height %d after the failed second batch", h)
	} else if rh, rhash, _ := re.Tip(); rh != h || rhash != hash {
		t.Errorf("published tip %d, store holds %d", h, rh)
	}
	if got := fmt.Sprint(ix.Status().Commits); got != "1" {
		t.Errorf("commits = %s", got)
	}
}

// undoRecorder is a store that records the heights of the undo records
// written through it (by Update or Load).
type undoRecorder struct {
	store.Store
	heights map[int64]bool
}

type undoWriter struct {
	store.RWTx
	r *undoRecorder
}

func (w undoWriter) Set(k, v []byte) error {
	if len(k) == 5 && k[0] == pUndo {
		w.r.heights[int64(binary.BigEndian.Uint32(k[1:]))] = true
	}
	return w.RWTx.Set(k, v)
}

func (r *undoRecorder) Update(ctx context.Context, fn func(store.RWTx) error) error {
	return r.Store.Update(ctx, func(tx store.RWTx) error { return fn(undoWriter{tx, r}) })
}

// TestSyncWritesNoUndoBelowFloor: an initial sync writes undo records only
// for the blocks within ReorgLimit of its target (nothing that would be
// written and pruned again within the sync), and a reorg of ReorgLimit
// blocks after it still finds the undo data it needs.
func TestSyncWritesNoUndoBelowFloor(t *testing.T) {
	blocks := pipeChain()
	const limit = 10
	tip := int64(len(blocks) - 1)
	chain := &fakeChain{}
	chain.set(blocks)
	rec := &undoRecorder{Store: storetest.OpenMemory(), heights: map[int64]bool{}}
	ix := newTestIndex(t, chain, rec, func(o *Options) { o.ReorgLimit = limit; o.BatchBlocks = 3 })
	settle(t, ix)
	if h, _, _ := ix.Tip(); h != tip {
		t.Fatalf("synced to %d, want %d", h, tip)
	}
	for h := int64(1); h <= tip; h++ {
		if want := h > tip-limit; rec.heights[h] != want {
			t.Errorf("undo record of block %d written: %v, want %v (tip %d, limit %d)", h, rec.heights[h], want, tip, limit)
		}
	}
	if err := ix.ForceReorg(context.Background(), limit); err != nil {
		t.Fatalf("reorg of %d blocks after the sync: %v", limit, err)
	}
}

// stallChain serves blocks up to stallAt, then holds every fetch from
// there until ctx ends: a daemon that stops delivering mid-sync.
type stallChain struct {
	*fakeChain
	stallAt int64
}

func (c stallChain) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	end := min(start+int64(count), c.stallAt+1)
	if end > start {
		if err := c.fakeChain.Blocks(ctx, start, int(end-start), yield); err != nil {
			return err
		}
	}
	if start+int64(count) > c.stallAt+1 {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// TestHeldBatchCommittedWhenDaemonStalls: a batch held open for more
// blocks (small, far from the sync target) is committed once it is
// idleBatchAge old even when the daemon delivers no further block, so
// the committed height does not wait for the daemon.
func TestHeldBatchCommittedWhenDaemonStalls(t *testing.T) {
	// The store's own goroutines live outside the bubble.
	st := storetest.OpenMemory()
	defer st.Close()
	synctest.Test(t, func(t *testing.T) {
		blocks := genSyncChain(30, 4, 10, 5)
		chain := stallChain{fakeChain: &fakeChain{}, stallAt: 12}
		chain.set(blocks)
		ix := newTestIndex(t, chain.fakeChain, st, func(o *Options) {
			o.Chain = chain
			o.BatchBlocks = 0
			o.FetchBlocks = 4
			o.SyncCacheBytes = 1 << 30 // no batch closes for its size
		})
		defer ix.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := ix.step(ctx); done <- err }()
		time.Sleep(idleBatchAge / 2)
		synctest.Wait()
		if h, _, _ := ix.Tip(); h >= 12 {
			t.Fatalf("committed height %d before the batch's age: the small batch was not held", h)
		}
		time.Sleep(idleBatchAge)
		synctest.Wait()
		if h, _, _ := ix.Tip(); h != 12 {
			t.Errorf("committed height %d after the batch's age, want 12 (the blocks delivered before the stall)", h)
		}
		cancel()
		<-done
	})
}
