package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// A sync batch is prepared in memory by the sequencer (block by block, in
// chain order) and written by one store transaction. Its overlay layer
// holds the outputs the batch created and did not spend (their O and U rows
// are written at commit) and the older outputs it spent (tombstones); an
// output created and spent inside the batch leaves no row at all. While
// batch k commits, batch k+1 is prepared against layer k (still held), layer
// k+1 and the store, so an output of an uncommitted batch is always found
// (see pipeline.spend).
type layer struct {
	live  map[outpoint]outVal
	spent map[outpoint]struct{}
	txids [][]sdk.Hash // of the batch's blocks (outCache.retire)
}

// kv is a row to write.
type kv struct{ k, v []byte }

// undoRow is the undo record of one block of a batch.
type undoRow struct {
	height int64
	val    []byte
}

// blockTxs is what the mempool needs to drop a connected block's txs and
// their conflicts (kept only when the mempool is not empty).
type blockTxs struct {
	txids []sdk.Hash
	ins   []wire.OutPoint
	insTx []int32 // index of the spending tx in txids
}

// syncBatch is a prepared batch of consecutive blocks.
type syncBatch struct {
	num         int64 // 1-based within the pipeline
	first, last int64 // heights
	st          state // after the batch
	header      []byte
	lay         layer
	sets        []kv // X, B, H rows (fresh keys)
	dels        [][]byte
	undos       []undoRow
	blocks      []blockTxs
	touched     touchSet
	// tracked: touched lists every script whose rows the batch changes
	// (the pipeline tracks them: caught up, or a reorg held).
	tracked bool
	ntx     int
	bytes   int64 // estimated memory held
	chunk   []byte
}

// Estimated bytes per overlay entry (key, value and map overhead).
const (
	liveEntryBytes  = 36 + outValLen + 56
	spentEntryBytes = 36 + 40
	sliceHdrBytes   = 24
)

// newSyncBatch starts batch num after st. prev, when not nil, is the batch
// before it: the new one's maps and row slices start at its sizes, which
// spares the sequencer (the pipeline's serial stage) the rehashing and
// copying of growing them batch after batch.
func newSyncBatch(num int64, st state, prev *syncBatch) *syncBatch {
	var nlive, nspent, nsets, ndels int
	if prev != nil {
		nlive, nspent, nsets, ndels = len(prev.lay.live), len(prev.lay.spent), len(prev.sets), len(prev.dels)
	}
	return &syncBatch{
		num: num, first: st.height + 1, last: st.height, st: st,
		lay:     layer{live: make(map[outpoint]outVal, nlive), spent: make(map[outpoint]struct{}, nspent)},
		sets:    make([]kv, 0, nsets),
		dels:    make([][]byte, 0, ndels),
		touched: make(touchSet),
	}
}

func (b *syncBatch) empty() bool { return b.last < b.first }

// buf returns an empty slice with room for n bytes, carved from the
// batch's pointer-free chunks (one allocation per 64 KiB of rows).
func (b *syncBatch) buf(n int) []byte {
	if cap(b.chunk)-len(b.chunk) < n {
		b.chunk = make([]byte, 0, max(n, 64<<10))
	}
	l := len(b.chunk)
	b.chunk = b.chunk[:l+n]
	return b.chunk[l : l : l+n]
}

func (b *syncBatch) addSet(k, v []byte) {
	b.sets = append(b.sets, kv{k, v})
	b.bytes += int64(len(k) + len(v) + 2*sliceHdrBytes)
}

// blockWork is one block in the pipeline: the raw block in; the parsed
// block, its outputs' hashXs and the store lookups of its inputs out
// (filled by a worker, then done is closed).
type blockWork struct {
	raw   sdk.Block
	size  int64
	done  chan struct{}
	p     *parsedBlock
	outHX []HashX    // per output, block order; zero for unspendable ones
	in    []prefetch // per input of txs 1.., block order
	gen   int64      // batches committed before the lookups began
	err   error
}

// prefetch is a worker's store lookup of an input's outpoint.
type prefetch struct {
	ov    outVal
	found bool
}

// work parses w's block, hashes its output scripts and looks up in the
// store the outputs its inputs spend (except those of txs of the same
// block). It runs on any of the pipeline's workers.
func (pl *pipeline) work(ctx context.Context, w *blockWork) {
	defer close(w.done)
	p, err := parseBlock(w.raw)
	w.raw.Raw = nil
	if err != nil {
		w.err = err
		return
	}
	w.p = p
	if p.height > 0 {
		pl.cache.addPending(p.txids)
	}
	txs := p.msg.Transactions
	nout, nin := 0, 0
	for i, tx := range txs {
		nout += len(tx.TxOut)
		if i > 0 {
			nin += len(tx.TxIn)
		}
	}
	w.outHX = make([]HashX, 0, nout)
	for _, tx := range txs {
		w.outHX = appendOutHX(w.outHX, tx)
	}
	if nin == 0 || p.height == 0 {
		return
	}
	w.in = make([]prefetch, nin)
	w.gen = pl.committed.Load()
	// Inputs the sequencer will find in memory (the block's own txs, the
	// layer being committed, the cache of recent outputs) are not looked
	// up; the others are. Whatever changes in between, the sequencer falls
	// back on the store (pipeline.spend), so skipping is never wrong, only
	// slower.
	type lookupIn struct {
		j  int
		op *wire.OutPoint
	}
	need := make([]lookupIn, 0, nin)
	c := pl.cache
	cached := c != nil && c.maxGen > 0
	var local map[sdk.Hash]struct{}
	var prev *layer
	if !cached {
		// Without the cache, the block's own txids and the layer being
		// committed are the memory to check.
		local = make(map[sdk.Hash]struct{}, len(p.txids))
		for _, id := range p.txids {
			local[id] = struct{}{}
		}
		prev = pl.prevPub.Load()
	} else {
		// With it, one lookup of the txid in the pending set covers the
		// block's own txs and those of every batch not yet retired (the
		// layer being committed included); the cache holds the outputs of
		// the retired ones.
		c.mu.RLock()
	}
	j := 0
	for _, mtx := range txs[1:] {
		for _, in := range mtx.TxIn {
			op := outpoint{txid: sdk.Hash(in.PreviousOutPoint.Hash), vout: in.PreviousOutPoint.Index}
			switch {
			case cached && c.inMemoryLocked(op):
				pl.stats.cacheSkips.Add(1)
			case cached:
				need = append(need, lookupIn{j, &in.PreviousOutPoint})
			case hasKey(local, op.txid):
			case prev != nil && hasKey(prev.live, op):
				pl.stats.prevSkips.Add(1)
			default:
				need = append(need, lookupIn{j, &in.PreviousOutPoint})
			}
			j++
		}
	}
	if cached {
		c.mu.RUnlock()
	}
	if len(need) == 0 {
		return
	}
	pl.stats.workerGets.Add(int64(len(need)))
	kb := make([]byte, 0, 37)
	err = pl.ix.st.View(ctx, func(tx store.Tx) error {
		for _, n := range need {
			h := sdk.Hash(n.op.Hash)
			kb = appendOutKey(kb[:0], &h, n.op.Index)
			raw, err := tx.Get(kb)
			switch {
			case err == nil:
				ov, err := decodeOutVal(raw)
				if err != nil {
					return err
				}
				w.in[n.j] = prefetch{ov: ov, found: true}
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.err = fatal(fmt.Errorf("block %d: look up spent outputs: %w", p.height, err))
	}
}

// appendOutHX appends the script hash of each of tx's outputs to hx, zero
// for an unspendable one.
func appendOutHX(hx []HashX, tx *wire.MsgTx) []HashX {
	for _, o := range tx.TxOut {
		var h HashX
		if !unspendable(o.PkScript) {
			h = HashXFromScript(o.PkScript)
		}
		hx = append(hx, h)
	}
	return hx
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

// prepareBlock adds block w (which connects to b.st) to batch b.
func (pl *pipeline) prepareBlock(ctx context.Context, b *syncBatch, w *blockWork) error {
	p := w.p
	h := p.height
	st := b.st
	if h != st.height+1 {
		return fmt.Errorf("apply block %d on height %d", h, st.height)
	}
	if h > 0 {
		undo := &undoRecord{txCountBefore: st.txCount, txs: make([]txCounts, len(p.txids)), spent: make([]spentOut, 0, len(w.in))}
		txids := make([]byte, 0, 32*len(p.txids))
		var hxs []HashX
		var bt *blockTxs
		if pl.keepTxs {
			b.blocks = append(b.blocks, blockTxs{txids: p.txids})
			bt = &b.blocks[len(b.blocks)-1]
		}
		j, k := 0, 0 // input and output counters
		for i, mtx := range p.msg.Transactions {
			txid := &p.txids[i]
			txnum := st.txCount + uint64(i)
			if txnum > maxTxNum {
				return fmt.Errorf("tx_num overflow at height %d", h)
			}
			txids = append(txids, txid[:]...)
			hxs = hxs[:0]
			undo.txs[i].out = uint32(len(mtx.TxOut))
			if i > 0 {
				undo.txs[i].in = uint32(len(mtx.TxIn))
				for _, in := range mtx.TxIn {
					op := outpoint{txid: sdk.Hash(in.PreviousOutPoint.Hash), vout: in.PreviousOutPoint.Index}
					ov, err := pl.spend(ctx, b, op, w.in[j], w.gen)
					if err != nil {
						return fmt.Errorf("block %d tx %s: %w", h, txid, err)
					}
					j++
					undo.spent = append(undo.spent, spentOut{op: op, outVal: ov})
					hxs = appendUnique(hxs, ov.hx)
					if bt != nil {
						bt.ins = append(bt.ins, in.PreviousOutPoint)
						bt.insTx = append(bt.insTx, int32(i))
					}
				}
			}
			for vout, o := range mtx.TxOut {
				hx := w.outHX[k]
				k++
				if unspendable(o.PkScript) {
					continue
				}
				op := outpoint{txid: *txid, vout: uint32(vout)}
				if old, dup := b.lay.live[op]; dup {
					// A duplicate txid (BIP30): keep the first output's U
					// row, as applying the blocks one by one would.
					b.addSet(appendUTXOKey(b.buf(21), old.hx, old.txnum, op.vout), appendUTXOVal(b.buf(utxoValLen), old.value, &op.txid, old.height))
				} else {
					b.bytes += liveEntryBytes
				}
				b.lay.live[op] = outVal{hx: hx, txnum: txnum, value: o.Value, height: h}
				hxs = appendUnique(hxs, hx)
			}
			undo.nHist += uint64(len(hxs))
			hv := append(b.buf(histValLen), txid[:]...)
			hv = binary.BigEndian.AppendUint32(hv, uint32(h))
			for _, hx := range hxs {
				b.addSet(appendHistKey(b.buf(17), hx, txnum), hv)
				if pl.track {
					b.touched.add(hx)
				}
			}
		}
		b.addSet(heightKey(pBlock, h), txids)
		b.lay.txids = append(b.lay.txids, p.txids)
		// The layer's txids (and the cache's pending set, which holds
		// them until the batch is retired) count in the batch's memory.
		b.bytes += int64(len(p.txids))*2*int64(len(sdk.Hash{})) + sliceHdrBytes
		if h > pl.undoFloor {
			u := undo.encode()
			b.undos = append(b.undos, undoRow{height: h, val: u})
			b.bytes += int64(len(u)) + sliceHdrBytes
		}
		st.txCount += uint64(len(p.txids))
		b.ntx += len(p.txids)
	}
	b.addSet(heightKey(pHeader, h), p.header)
	st.height, st.tip = h, p.hash
	b.st, b.last, b.header = st, h, p.header
	return nil
}

// spend resolves the output op spent in batch b: from b's own layer, the
// previous batch's layer (committed or not), the cache of recent outputs,
// the worker's lookup when it is recent enough, or the store.
//
// Every map here is large and each access a cache miss or two (a third of
// the sequencer's time in the initial sync's profile), so each check is
// made where it can matter: an output prev created is in prev.live and
// never in prev.spent, and b's own double spends are found when op enters
// b.lay.spent (one access, not a lookup and an insert).
func (pl *pipeline) spend(ctx context.Context, b *syncBatch, op outpoint, pf prefetch, gen int64) (outVal, error) {
	if ov, ok := b.lay.live[op]; ok {
		delete(b.lay.live, op) // created and spent in the batch: no rows
		b.bytes -= liveEntryBytes
		return ov, nil
	}
	var ov outVal
	found := false
	if prev := pl.prev; prev != nil {
		if ov, found = prev.live[op]; !found {
			if _, ok := prev.spent[op]; ok {
				return outVal{}, errSpentTwice(op)
			}
		}
	}
	// The cache holds committed outputs not spent up to the batch before
	// prev; the spends of prev were checked above, b's are below.
	if !found && pl.cache != nil {
		ov, found = pl.cache.get(op)
	}
	// Layers up to b.num-2 are dropped (committed): a lookup made after
	// they were committed saw their spends; an older one is looked up again.
	if !found && pf.found && gen >= b.num-2 {
		ov, found = pf.ov, true
	}
	if !found {
		var err error
		pl.stats.seqGets.Add(1)
		if ov, found, err = pl.lookup(ctx, op); err != nil {
			return outVal{}, err
		}
	}
	if !found {
		return outVal{}, fmt.Errorf("%w: spends unknown output %s:%d", errChain, op.txid, op.vout)
	}
	n := len(b.lay.spent)
	if b.lay.spent[op] = struct{}{}; len(b.lay.spent) == n {
		return outVal{}, errSpentTwice(op)
	}
	b.bytes += spentEntryBytes
	ok := appendOutKey(b.buf(37), &op.txid, op.vout)
	uk := appendUTXOKey(b.buf(21), ov.hx, ov.txnum, op.vout)
	b.dels = append(b.dels, ok, uk)
	b.bytes += int64(len(ok) + len(uk) + 2*sliceHdrBytes)
	return ov, nil
}

func errSpentTwice(op outpoint) error {
	return fmt.Errorf("%w: output %s:%d spent twice", errChain, op.txid, op.vout)
}

// lookup reads op's O row from the store.
func (pl *pipeline) lookup(ctx context.Context, op outpoint) (outVal, bool, error) {
	var ov outVal
	found := false
	err := pl.ix.st.View(ctx, func(tx store.Tx) error {
		raw, err := tx.Get(outKey(&op.txid, op.vout))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ov, err = decodeOutVal(raw)
		found = err == nil
		return err
	})
	if err != nil {
		return ov, false, fatal(fmt.Errorf("look up output %s:%d: %w", op.txid, op.vout, err))
	}
	return ov, found, nil
}

// writeBatch writes batch b and the state record inside tx, in key order
// (see sortBatch).
func (ix *Index) writeBatch(tx store.Writer, b *syncBatch) error {
	return writeSorted(tx, b, ix.batchOtherRows(b))
}

// batchOtherRows are the rows of b beside its prepared ones: the undo
// records (those the batch's later blocks would have pruned are not
// written, and only records older than the batch are deleted) and the
// state record.
func (ix *Index) batchOtherRows(b *syncBatch) []otherRow {
	var rows []otherRow
	for h := b.first; h <= b.last; h++ {
		if old := h - int64(ix.reorgLimit); old > 0 && old < b.first {
			rows = append(rows, otherRow{k: heightKey(pUndo, old)})
		}
	}
	for _, u := range b.undos {
		if u.height > b.last-int64(ix.reorgLimit) {
			rows = append(rows, otherRow{k: heightKey(pUndo, u.height), v: u.val})
		}
	}
	return append(rows, otherRow{k: []byte(stateKeyStr), v: b.st.encode(ix.genesis)})
}
