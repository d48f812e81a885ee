package store

// The pebble store's transactions: reads of a snapshot or the database,
// and an Update's buffered writes.

import (
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// reader is what a pebble snapshot, DB and indexed batch have in common.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

type pebbleTx struct{ r reader }

func (t pebbleTx) Get(key []byte) ([]byte, error) {
	if string(key) == markerKey {
		return nil, ErrNotFound
	}
	v, c, err := t.r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	out := append([]byte(nil), v...)
	if err := c.Close(); err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	return out, nil
}

func (t pebbleTx) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	opts, ok := scanOptions(prefix, from)
	if !ok {
		return nil
	}
	it, err := t.r.NewIter(opts)
	return iterateOnce(it, err, fn)
}

// iterateOnce runs fn over it, an iterator just made (err: the error of
// making it), and closes it.
func iterateOnce(it *pebble.Iterator, err error, fn func(k, v []byte) bool) error {
	if err != nil {
		return fmt.Errorf("store: scan: %w", err)
	}
	err = iterate(it, fn)
	if cerr := it.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("store: scan: %w", cerr)
	}
	return err
}

// scanOptions bounds the iterator of a Scan of prefix from from; ok is
// false when the range is empty.
func scanOptions(prefix, from []byte) (opts *pebble.IterOptions, ok bool) {
	lower := prefix
	if string(from) > string(prefix) {
		lower = from
	}
	upper := prefixEnd(prefix)
	if upper != nil && string(lower) >= string(upper) {
		return nil, false
	}
	return &pebble.IterOptions{LowerBound: lower, UpperBound: upper}, true
}

// iterate runs a Scan's fn over the positioned-nowhere iterator it, within
// its bounds; it leaves it open.
func iterate(it *pebble.Iterator, fn func(k, v []byte) bool) error {
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if string(k) == markerKey {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store: scan: %w", err)
		}
		if !fn(k, v) {
			return nil
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: scan: %w", err)
	}
	return nil
}

// prefixEnd is the smallest key above every key with prefix p, or nil
// when there is none (p empty or all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// pebbleRWTx buffers writes like buntRWTx (a key written and deleted again
// in one Update never reaches pebble) and hands them to one batch in key
// order at commit. Reads see the buffer first, then the last committed
// state (Updates are serialised, so that is the state the transaction
// started from). A Scan moves the buffer into an indexed batch, which from
// then on takes every write and serves reads merged with the database.
type pebbleRWTx struct {
	db *pebble.DB
	writeBuffer
	ib *pebble.Batch
}

func (t *pebbleRWTx) Get(key []byte) ([]byte, error) {
	if t.ib != nil {
		return pebbleTx{r: t.ib}.Get(key)
	}
	if p, ok := t.lookup(key); ok {
		if p.del {
			return nil, ErrNotFound
		}
		return []byte(p.val), nil
	}
	return pebbleTx{r: t.db}.Get(key)
}

func (t *pebbleRWTx) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	if t.ib == nil {
		t.ib = t.db.NewIndexedBatch()
		for _, p := range t.sorted() {
			var err error
			if p.del {
				err = t.ib.Delete([]byte(p.key), nil)
			} else {
				err = t.ib.Set([]byte(p.key), []byte(p.val), nil)
			}
			if err != nil {
				return fmt.Errorf("store: batch: %w", err)
			}
		}
		t.reset()
	}
	return pebbleTx{r: t.ib}.Scan(prefix, from, fn)
}

func (t *pebbleRWTx) Set(key, value []byte) error { return t.put(key, value, false) }

// SetFresh implements FreshSetter.
func (t *pebbleRWTx) SetFresh(key, value []byte) error { return t.put(key, value, true) }

func (t *pebbleRWTx) put(key, value []byte, fresh bool) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	if t.ib != nil {
		return t.ib.Set(key, value, nil)
	}
	t.set(key, value, fresh)
	return nil
}

func (t *pebbleRWTx) Delete(key []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	if t.ib != nil {
		return t.ib.Delete(key, nil)
	}
	p, ok := t.lookup(key)
	switch {
	case !ok:
		t.add(pendingWrite{key: string(key), del: true})
	case p.fresh:
		t.drop(p)
	default:
		// A tombstone for a key pebble may not hold costs less than
		// looking the key up.
		p.val, p.del = "", true
	}
	return nil
}
