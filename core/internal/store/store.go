package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Tx.Get for a missing key.
var ErrNotFound = errors.New("store: key not found")

// ErrClosed is returned by View and Update of a closed pebble store.
var ErrClosed = errors.New("store: closed")

// ErrReservedKey is returned when writing a key reserved by the engine.
var ErrReservedKey = errors.New("store: reserved key")

// Store is an ordered key-value store with snapshot reads and atomic writes.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent state.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns an error the
	// transaction is rolled back; otherwise it is committed atomically.
	Update(ctx context.Context, fn func(RWTx) error) error
	Close() error
}

// Tx is a read-only transaction.
type Tx interface {
	// Get returns a copy of the value of key, or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Scan calls fn for the keys with prefix, ascending, starting at the first
	// key >= from (from may be nil), until fn returns false. k and v are only
	// valid during the call and must not be modified. fn must not write.
	Scan(prefix, from []byte, fn func(k, v []byte) bool) error
}

// RWTx is a read-write transaction. Reads see the transaction's own writes.
// Set and Delete copy key and value: the caller may reuse its buffers.
type RWTx interface {
	Tx
	Set(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
}

// BatchSizer is implemented by a Store whose commits have a size past which
// they stop overlapping with the engine's background work (pebble without
// bulk loads: its memtable) or take more than their share of memory. A
// bulk writer (the index's initial sync) keeps its commits near
// SyncBatchBytes of rows.
type BatchSizer interface {
	SyncBatchBytes() int64
}

// Writer takes the writes of a Loader's transaction: it cannot read them
// back. Set and Delete copy key and value.
type Writer interface {
	Set(key, value []byte) error
	Delete(key []byte) error
}

// Loader is implemented by a Store that commits write-only transactions
// more cheaply than Update: the initial sync's batches, which read
// nothing back. Load runs fn and commits its writes atomically, in the
// order written (a later write of a key wins), serialised with Update
// as an Update is; if fn fails nothing is written.
type Loader interface {
	Load(ctx context.Context, fn func(Writer) error) error
}

// BulkLoader is implemented by a Store that commits large write-only
// transactions whose keys come in ascending order more cheaply still than
// Load: the initial sync's batches, which the index writes sorted.
type BulkLoader interface {
	// BulkLoad is Load for writes in ascending key order; of two writes
	// of one key the later wins. A write of a key below the previous one
	// fails with ErrUnsorted, and then nothing is written. size is the
	// caller's estimate of the rows' bytes: the store picks its way of
	// committing from it.
	BulkLoad(ctx context.Context, size int64, fn func(Writer) error) error
}

// FreshSetter is implemented by RWTxs that can skip work for keys the
// caller knows to be new.
type FreshSetter interface {
	// SetFresh is Set for a key that the caller guarantees is absent as
	// the transaction sees it now (never written, or deleted). A later
	// Delete of the key in the same transaction can then drop the
	// buffered write without looking the key up.
	SetFresh(key, value []byte) error
}
