package store

import (
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

// writeBuffer holds the buffered writes. Its map and key slice are reused by
// the next transaction while transactions stay large (initial sync), so the
// map is not regrown from empty for every batch of blocks.
type writeBuffer struct {
	pend map[string]pendingWrite
	keys []string
	// peak is the most keys pend has held; used lets reuse drop a buffer
	// that has become much larger than the transactions using it.
	peak, used int
}

// reuse returns the buffer for the next transaction: emptied, or the zero
// value when it is small (cheap to regrow) or far larger than this
// transaction needed (iterating and clearing a big sparse map costs time
// proportional to its size, and it pins memory after initial sync).
func (w *writeBuffer) reuse() writeBuffer {
	if w.peak < 4096 || w.used < w.peak/4 {
		return writeBuffer{}
	}
	clear(w.pend)
	clear(w.keys)
	return writeBuffer{pend: w.pend, keys: w.keys[:0], peak: w.peak}
}

// pendingWrite is a buffered Set (del false) or Delete (del true).
type pendingWrite struct {
	val string
	del bool
}

func (t *buntRWTx) Get(key []byte) ([]byte, error) {
	if p, ok := t.pend[string(key)]; ok {
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
	k := string(key)
	if k == markerKey {
		return ErrReservedKey
	}
	if t.pend == nil {
		t.pend = make(map[string]pendingWrite, 1024)
	}
	t.pend[k] = pendingWrite{val: string(value)}
	return nil
}

func (t *buntRWTx) Delete(key []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	if p, ok := t.pend[string(key)]; ok {
		if p.del {
			return nil
		}
		// Written in this transaction: if buntdb does not hold the key
		// (as seen by this transaction), dropping the buffered write is
		// the whole delete.
		if _, err := t.tx.Get(string(key)); errors.Is(err, buntdb.ErrNotFound) {
			delete(t.pend, string(key))
			return nil
		} else if err != nil {
			return fmt.Errorf("store: delete: %w", err)
		}
		t.pend[string(key)] = pendingWrite{del: true}
		return nil
	}
	if t.pend == nil {
		t.pend = make(map[string]pendingWrite, 1024)
	}
	t.pend[string(key)] = pendingWrite{del: true}
	return nil
}

// flush applies the buffered writes to the buntdb transaction in key order.
func (t *buntRWTx) flush() error {
	if len(t.pend) == 0 {
		return nil
	}
	t.used = max(t.used, len(t.pend))
	t.peak = max(t.peak, len(t.pend))
	keys := t.keys[:0]
	for k := range t.pend {
		keys = append(keys, k)
	}
	t.keys = keys
	slices.Sort(keys)
	mid := t.flushed != nil
	if !mid && len(keys) >= 256 {
		presizeTxMaps(t.tx, len(keys))
	}
	for _, k := range keys {
		p := t.pend[k]
		if p.del {
			if _, err := t.tx.Delete(k); errors.Is(err, buntdb.ErrNotFound) {
				continue
			} else if err != nil {
				return fmt.Errorf("store: delete: %w", err)
			}
		} else if _, _, err := t.tx.Set(k, p.val, nil); err != nil {
			return fmt.Errorf("store: set: %w", err)
		}
		if mid {
			if _, ok := t.flushed[k]; ok {
				continue
			}
			t.flushed[k] = struct{}{}
		}
		t.records++
	}
	clear(t.pend)
	return nil
}
