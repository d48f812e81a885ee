package index

import (
	"sort"
	"sync"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// mempool is the index's view of the daemon's mempool. Lock order:
// mempool.mu before any store transaction.
type mempool struct {
	mu     sync.RWMutex
	txs    map[sdk.Hash]*mtx
	byHX   map[HashX]map[sdk.Hash]struct{}
	spends map[wire.OutPoint]sdk.Hash // prevout → spending mempool tx
	bytes  int64
}

type mtx struct {
	hash  sdk.Hash
	fee   int64
	vsize int64
	size  int64
	ins   []mIn
	outs  []mOut // by vout; ok=false for unspendable outputs
	hxs   []HashX
}

type mIn struct {
	prev  wire.OutPoint
	hx    HashX
	value int64
}

type mOut struct {
	hx    HashX
	value int64
	ok    bool
}

func newMempool() *mempool {
	return &mempool{
		txs:    make(map[sdk.Hash]*mtx),
		byHX:   make(map[HashX]map[sdk.Hash]struct{}),
		spends: make(map[wire.OutPoint]sdk.Hash),
	}
}

func (m *mempool) stats() (int, int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.txs), m.bytes
}

// add and the remove functions require m.mu held for writing.
func (m *mempool) add(t *mtx, touched touchSet) {
	m.txs[t.hash] = t
	m.bytes += t.size
	for _, hx := range t.hxs {
		set := m.byHX[hx]
		if set == nil {
			set = make(map[sdk.Hash]struct{})
			m.byHX[hx] = set
		}
		set[t.hash] = struct{}{}
		touched.add(hx)
	}
	for _, in := range t.ins {
		m.spends[in.prev] = t.hash
	}
}

func (m *mempool) remove(h sdk.Hash, touched touchSet) {
	t, ok := m.txs[h]
	if !ok {
		return
	}
	delete(m.txs, h)
	m.bytes -= t.size
	for _, hx := range t.hxs {
		set := m.byHX[hx]
		delete(set, h)
		if len(set) == 0 {
			delete(m.byHX, hx)
		}
		touched.add(hx)
	}
	for _, in := range t.ins {
		if m.spends[in.prev] == h {
			delete(m.spends, in.prev)
		}
	}
}

// removeTree removes h and every mempool tx descending from it.
func (m *mempool) removeTree(h sdk.Hash, touched touchSet) {
	stack := []sdk.Hash{h}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t, ok := m.txs[h]
		if !ok {
			continue
		}
		for i := range t.outs {
			if c, ok := m.spends[wire.OutPoint{Hash: chainHash(h), Index: uint32(i)}]; ok {
				stack = append(stack, c)
			}
		}
		m.remove(h, touched)
	}
}

func (m *mempool) clear(touched touchSet) {
	for hx := range m.byHX {
		touched.add(hx)
	}
	m.txs = make(map[sdk.Hash]*mtx)
	m.byHX = make(map[HashX]map[sdk.Hash]struct{})
	m.spends = make(map[wire.OutPoint]sdk.Hash)
	m.bytes = 0
}

// connectBlock drops the txs a connected block confirmed, and the txs that
// conflict with it (double-spends) together with their descendants.
func (m *mempool) connectBlock(b *blockTxs, touched touchSet) {
	if len(m.txs) == 0 {
		return
	}
	for _, h := range b.txids {
		m.remove(h, touched)
	}
	for i, in := range b.ins {
		if c, ok := m.spends[in]; ok && c != b.txids[b.insTx[i]] {
			m.removeTree(c, touched)
		}
	}
}

// height is 0, or -1 when t spends an output of another mempool tx.
func (m *mempool) height(t *mtx) int64 {
	for _, in := range t.ins {
		if _, ok := m.txs[sdk.Hash(in.prev.Hash)]; ok {
			return -1
		}
	}
	return 0
}

// history returns the mempool entries of hx in canonical order: height 0
// before -1, then txid display hex ascending. m.mu must be held.
func (m *mempool) history(hx HashX) []MempoolEntry {
	set := m.byHX[hx]
	if len(set) == 0 {
		return nil
	}
	out := make([]MempoolEntry, 0, len(set))
	for h := range set {
		t := m.txs[h]
		out = append(out, MempoolEntry{TxHash: h, Height: m.height(t), Fee: t.fee})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Height != out[j].Height {
			return out[i].Height > out[j].Height
		}
		return displayLess(&out[i].TxHash, &out[j].TxHash)
	})
	return out
}

// displayLess compares hashes in display (byte-reversed) order.
func displayLess(a, b *sdk.Hash) bool {
	for i := 31; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// balanceDelta is Σ mempool outputs to hx − Σ mempool inputs spending hx.
func (m *mempool) balanceDelta(hx HashX) int64 {
	var d int64
	for h := range m.byHX[hx] {
		t := m.txs[h]
		for _, o := range t.outs {
			if o.ok && o.hx == hx {
				d += o.value
			}
		}
		for _, in := range t.ins {
			if in.hx == hx {
				d -= in.value
			}
		}
	}
	return d
}

// utxos returns outputs to hx created by mempool txs (height 0), sorted by
// txid display order then vout for determinism.
func (m *mempool) utxos(hx HashX) []UTXO {
	var out []UTXO
	for h := range m.byHX[hx] {
		for i, o := range m.txs[h].outs {
			if o.ok && o.hx == hx {
				out = append(out, UTXO{TxHash: h, TxPos: uint32(i), Value: o.value})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TxHash != out[j].TxHash {
			return displayLess(&out[i].TxHash, &out[j].TxHash)
		}
		return out[i].TxPos < out[j].TxPos
	})
	return out
}

func (m *mempool) spent(txid sdk.Hash, vout uint32) bool {
	_, ok := m.spends[wire.OutPoint{Hash: chainHash(txid), Index: vout}]
	return ok
}
