package store

import (
	"cmp"
	"slices"
)

// writeBuffer holds the buffered writes: ents in first-write order, pend
// maps a key to its index in ents. Map and slice are reused by the next
// transaction while transactions stay large (initial sync), so they are
// not regrown from empty for every batch of blocks.
type writeBuffer struct {
	pend map[string]int32
	ents []pendingWrite
	// peak is the most entries the buffer has held; used lets reuse drop
	// a buffer that has become much larger than the transactions using it.
	peak, used int
}

// pendingWrite is a buffered Set (del false) or Delete (del true) of key;
// a dropped entry (written, then deleted, and absent from buntdb) has
// dropped set and is skipped by flush.
type pendingWrite struct {
	key, val     string
	del, dropped bool
	// fresh: buntdb (as this transaction sees it) does not hold key: it
	// was added by SetFresh, and a flush empties the buffer.
	fresh bool
}

// reuse returns the buffer for the next transaction: emptied, or the zero
// value when it is small (cheap to regrow) or far larger than this
// transaction needed (iterating and clearing a big sparse map costs time
// proportional to its size, and it pins memory after initial sync).
func (w *writeBuffer) reuse() writeBuffer {
	w.used = max(w.used, len(w.ents))
	w.peak = max(w.peak, w.used)
	if w.peak < 4096 || w.used < w.peak/4 {
		return writeBuffer{}
	}
	clear(w.pend)
	clear(w.ents)
	return writeBuffer{pend: w.pend, ents: w.ents[:0], peak: w.peak}
}

func (w *writeBuffer) lookup(key []byte) (*pendingWrite, bool) {
	i, ok := w.pend[string(key)]
	if !ok {
		return nil, false
	}
	return &w.ents[i], true
}

func (w *writeBuffer) add(p pendingWrite) {
	if w.pend == nil {
		w.pend = make(map[string]int32, 1024)
	}
	w.pend[p.key] = int32(len(w.ents))
	w.ents = append(w.ents, p)
}

// set buffers a Set (fresh: the SetFresh contract holds for key).
func (w *writeBuffer) set(key, value []byte, fresh bool) {
	if p, ok := w.lookup(key); ok {
		p.val, p.del = string(value), false
		return
	}
	w.add(pendingWrite{key: string(key), val: string(value), fresh: fresh})
}

// drop forgets the buffered write p (a key written in this transaction
// that the engine does not hold): deleting it is the whole delete.
func (w *writeBuffer) drop(p *pendingWrite) {
	p.dropped, p.val = true, ""
	delete(w.pend, p.key)
}

// sorted returns the live buffered writes in key order (it reorders ents).
func (w *writeBuffer) sorted() []pendingWrite {
	w.used = max(w.used, len(w.ents))
	ents := slices.DeleteFunc(w.ents, func(p pendingWrite) bool { return p.dropped })
	slices.SortFunc(ents, func(a, b pendingWrite) int { return cmp.Compare(a.key, b.key) })
	return ents
}

// reset empties the buffer after its writes were handed to the engine.
func (w *writeBuffer) reset() {
	clear(w.pend)
	clear(w.ents)
	w.ents = w.ents[:0]
}
