package store

import (
	"errors"
	"fmt"

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
	t.set(key, value, false)
	return nil
}

// SetFresh implements FreshSetter.
func (t *buntRWTx) SetFresh(key, value []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	t.set(key, value, true)
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
		t.drop(p)
		return nil
	}
	if _, err := t.tx.Get(p.key); errors.Is(err, buntdb.ErrNotFound) {
		t.drop(p)
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
	ents := t.sorted()
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
	t.reset()
	return nil
}
