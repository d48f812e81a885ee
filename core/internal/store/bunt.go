package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/buntdb"
)

// SyncPolicy says how often the buntdb file is fsynced.
type SyncPolicy int

const (
	// SyncEverySecond fsyncs about once a second (the zero value): a power
	// loss may lose the last second of commits, never atomicity.
	SyncEverySecond SyncPolicy = iota
	// SyncAlways fsyncs every commit.
	SyncAlways
	// SyncNever leaves syncing to the operating system.
	SyncNever
)

// BuntOptions configures OpenBunt. The zero value is usable.
type BuntOptions struct {
	Sync SyncPolicy
	// CompactOnOpenMinSize: on open, rewrite (compact) the file when it is at
	// least this many bytes. 0 means 64 MiB; negative disables compaction.
	// Compaction happens only at open: buntdb's background auto-shrink is
	// disabled because it would break the commit-group framing below.
	CompactOnOpenMinSize int64
}

// markerKey is written by every non-empty Update as the commit record of its
// group: its value is the number of records the commit wrote (including the
// marker). buntdb writes a commit's records in map order in one write(2), so
// the marker's position inside its group is arbitrary, but groups are
// contiguous; recoverAOF uses the counts to find the last complete group.
const markerKey = "\xff\xffamber/commit"

// OpenBunt opens (creating if needed) a buntdb file at path. A commit that
// was only partly written when the process died (kill -9, power loss) is cut
// off before buntdb loads the file, so the store holds exactly the last
// complete commit.
func OpenBunt(path string, opts BuntOptions) (Store, error) {
	size, err := recoverAOF(path)
	if err != nil {
		return nil, fmt.Errorf("store: recover %s: %w", path, err)
	}
	db, err := buntdb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	var cfg buntdb.Config
	if err := db.ReadConfig(&cfg); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	cfg.AutoShrinkDisabled = true
	switch opts.Sync {
	case SyncAlways:
		cfg.SyncPolicy = buntdb.Always
	case SyncNever:
		cfg.SyncPolicy = buntdb.Never
	default:
		cfg.SyncPolicy = buntdb.EverySecond
	}
	if err := db.SetConfig(cfg); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &bunt{db: db}
	limit := opts.CompactOnOpenMinSize
	if limit == 0 {
		limit = 64 << 20
	}
	if limit > 0 && size >= limit {
		if err := s.compact(); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: compact %s: %w", path, err)
		}
	}
	return s, nil
}

type bunt struct {
	db *buntdb.DB
	// spare is a write buffer kept between Updates (guarded by buntdb's
	// writer lock), see buntRWTx.reuse.
	spare writeBuffer
}

// compact rewrites the file as one group: the marker carries the total key
// count, which is exactly the number of records Shrink writes.
func (s *bunt) compact() error {
	err := s.db.Update(func(tx *buntdb.Tx) error {
		n, err := tx.Len()
		if err != nil {
			return err
		}
		if _, err := tx.Get(markerKey); errors.Is(err, buntdb.ErrNotFound) {
			n++
		}
		_, _, err = tx.Set(markerKey, strconv.Itoa(n), nil)
		return err
	})
	if err != nil {
		return err
	}
	return s.db.Shrink()
}

func (s *bunt) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *buntdb.Tx) error { return fn(buntTx{tx: tx}) })
}

func (s *bunt) Update(ctx context.Context, fn func(RWTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *buntdb.Tx) error {
		w := &buntRWTx{buntTx: buntTx{tx: tx}, writeBuffer: s.spare}
		s.spare = writeBuffer{}
		defer func() { s.spare = w.reuse() }()
		if err := fn(w); err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
		if w.records == 0 {
			return nil
		}
		_, _, err := tx.Set(markerKey, strconv.Itoa(w.records+1), nil)
		return err
	})
}

func (s *bunt) Close() error { return s.db.Close() }

type buntTx struct{ tx *buntdb.Tx }

func (t buntTx) Get(key []byte) ([]byte, error) {
	v, err := t.tx.Get(string(key))
	if errors.Is(err, buntdb.ErrNotFound) || string(key) == markerKey {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	return []byte(v), nil
}

func (t buntTx) Scan(prefix, from []byte, fn func(k, v []byte) bool) error {
	pivot := string(prefix)
	if string(from) > pivot {
		pivot = string(from)
	}
	p := string(prefix)
	err := t.tx.AscendGreaterOrEqual("", pivot, func(k, v string) bool {
		if !strings.HasPrefix(k, p) {
			return false
		}
		if k == markerKey {
			return true
		}
		return fn(bytesOf(k), bytesOf(v))
	})
	if err != nil {
		return fmt.Errorf("store: scan: %w", err)
	}
	return nil
}

// bytesOf views an immutable buntdb string as bytes without copying.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
