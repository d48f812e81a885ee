package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleView is the Tx of a pebble View. It opens what its first read
// needs: a snapshot for a Get, or for a Scan an iterator on the DB, which
// is itself one consistent state of it. The View's later reads are served
// from that same state: from the snapshot, or from the iterator (reused
// with new bounds, or cloned while a Scan holds it). A View that starts
// with a Scan, as the index's queries do, so takes no snapshot: creating
// and closing one takes the DB's mutex twice, and closing one runs the
// compaction picker (about an eighth of a small query's cost, measured in
// BenchmarkQueryEngines).
type pebbleView struct {
	db   *pebble.DB
	snap *pebble.Snapshot
	// it is the first Scan's iterator, the View's state when snap is nil;
	// busy while a Scan is positioned on it.
	it   *pebble.Iterator
	busy bool
}

func (v *pebbleView) Get(key []byte) ([]byte, error) {
	if v.it == nil {
		if v.snap == nil {
			v.snap = v.db.NewSnapshot()
		}
		return pebbleTx{r: v.snap}.Get(key)
	}
	if string(key) == markerKey {
		return nil, ErrNotFound
	}
	c, err := v.it.Clone(pebble.CloneOptions{IterOptions: &pebble.IterOptions{}})
	if err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	var out []byte
	if c.SeekGE(key) && bytes.Equal(c.Key(), key) {
		val, verr := c.ValueAndErr()
		out, err = append([]byte{}, val...), verr
	} else {
		err = c.Error()
	}
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("store: get: %w", err)
	case out == nil:
		return nil, ErrNotFound
	}
	return out, nil
}

func (v *pebbleView) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	if v.snap != nil {
		return pebbleTx{r: v.snap}.Scan(prefix, from, fn)
	}
	opts, ok := scanOptions(prefix, from)
	if !ok {
		return nil
	}
	switch {
	case v.it == nil:
		it, err := v.db.NewIter(opts)
		if err != nil {
			return fmt.Errorf("store: scan: %w", err)
		}
		v.it = it
	case v.busy:
		// A Scan from inside another's fn: a clone, same state.
		c, err := v.it.Clone(pebble.CloneOptions{IterOptions: opts})
		return iterateOnce(c, err, fn)
	default:
		v.it.SetBounds(opts.LowerBound, opts.UpperBound)
	}
	v.busy = true
	defer func() { v.busy = false }()
	return iterate(v.it, fn)
}

// close ends the View.
func (v *pebbleView) close() error {
	var err error
	if v.it != nil {
		err = v.it.Close()
	}
	if v.snap != nil {
		err = errors.Join(err, v.snap.Close())
	}
	if err != nil {
		return fmt.Errorf("store: view: %w", err)
	}
	return nil
}
