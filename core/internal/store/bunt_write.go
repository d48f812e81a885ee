package store

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/tidwall/buntdb"
)

// buntRWTx buffers a transaction's writes in memory and hands them to
// buntdb in key order when the transaction commits (flush). Compared with
// writing through at once this
//   - never touches buntdb for a key that is written and deleted again
//     inside the transaction (initial sync: an output created and spent
//     within one batch of blocks), saving a btree insert, a btree delete
//     and two entries in buntdb's per-transaction rollback/commit maps;
//   - inserts in ascending key order, which keeps buntdb's btree path hint
//     warm, so most inserts find their leaf with few key comparisons.
//
// Atomicity is unchanged: everything still happens inside the one buntdb
// transaction that Update commits (or rolls back) with its marker record.
type buntRWTx struct {
	buntTx
	writeBuffer
	// records counts the AOF records the transaction has produced so far
	// (the marker's value is records+1).
	records int
	// flushed holds the keys that already have a record in this
	// transaction; nil until a Scan forced a flush in the middle of it.
	flushed map[string]struct{}
}

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

func (t *buntRWTx) Get(key []byte) ([]byte, error) {
	if p, ok := t.lookup(key); ok {
		if p.del {
			return nil, ErrNotFound
		}
		return []byte(p.val), nil
	}
	return t.buntTx.Get(key)
}

func (t *buntRWTx) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	if t.flushed == nil && len(t.pend) > 0 {
		t.flushed = make(map[string]struct{}, len(t.pend))
	}
	if err := t.flush(); err != nil {
		return err
	}
	return t.buntTx.Scan(prefix, from, fn)
}

func (t *buntRWTx) Set(key, value []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	if p, ok := t.lookup(key); ok {
		p.val, p.del = string(value), false
		return nil
	}
	t.add(pendingWrite{key: string(key), val: string(value)})
	return nil
}

// SetFresh implements FreshSetter.
func (t *buntRWTx) SetFresh(key, value []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	if p, ok := t.lookup(key); ok {
		p.val, p.del = string(value), false
		return nil
	}
	t.add(pendingWrite{key: string(key), val: string(value), fresh: true})
	return nil
}

func (t *buntRWTx) Delete(key []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	p, ok := t.lookup(key)
	if !ok {
		t.add(pendingWrite{key: string(key), del: true})
		return nil
	}
	if p.del {
		return nil
	}
	// Written in this transaction: if buntdb does not hold the key (as
	// seen by this transaction), dropping the buffered write is the whole
	// delete.
	if p.fresh {
		p.dropped, p.val = true, ""
		delete(t.pend, p.key)
		return nil
	}
	if _, err := t.tx.Get(p.key); errors.Is(err, buntdb.ErrNotFound) {
		p.dropped = true
		p.val = ""
		delete(t.pend, p.key)
		return nil
	} else if err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	p.val, p.del = "", true
	return nil
}

// flush applies the buffered writes to the buntdb transaction in key order.
func (t *buntRWTx) flush() error {
	if len(t.ents) == 0 {
		return nil
	}
	t.used = max(t.used, len(t.ents))
	ents := slices.DeleteFunc(t.ents, func(p pendingWrite) bool { return p.dropped })
	slices.SortFunc(ents, func(a, b pendingWrite) int { return cmp.Compare(a.key, b.key) })
	mid := t.flushed != nil
	if !mid && len(ents) >= 256 {
		presizeTxMaps(t.tx, len(ents))
	}
	for i := range ents {
		p := &ents[i]
		if p.del {
			if _, err := t.tx.Delete(p.key); errors.Is(err, buntdb.ErrNotFound) {
				continue
			} else if err != nil {
				return fmt.Errorf("store: delete: %w", err)
			}
		} else if _, _, err := t.tx.Set(p.key, p.val, nil); err != nil {
			return fmt.Errorf("store: set: %w", err)
		}
		if mid {
			if _, ok := t.flushed[p.key]; ok {
				continue
			}
			t.flushed[p.key] = struct{}{}
		}
		t.records++
	}
	clear(t.pend)
	clear(t.ents)
	t.ents = t.ents[:0]
	return nil
}
