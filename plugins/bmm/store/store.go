package store

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tidwall/buntdb"

	"github.com/amber-electrum/amber/sdk"
)

// Meta is what a store file was built for.
type Meta struct {
	Sidechain   uint8 `json:"sidechain"`
	StartHeight int64 `json:"start_height"`
}

// Accept is one BMM Accept of the plugin's sidechain in a mainchain coinbase.
type Accept struct {
	HStar sdk.Hash
	Vout  uint32
}

// Block is the record of one followed mainchain block.
type Block struct {
	Height  int64
	Hash    sdk.Hash
	Prev    sdk.Hash
	Accepts []Accept
}

// Entry is where a sidechain block was accepted.
type Entry struct {
	MainHash   sdk.Hash
	MainHeight int64
	TxPos      int // always 0: the coinbase
	Vout       uint32
}

// ErrNotCursor is returned by Connect and Disconnect for a block that does
// not extend (or is not) the cursor.
var ErrNotCursor = errors.New("store: block does not match the follow cursor")

const (
	metaKey   = "meta"
	blkPrefix = "blk:"
	hsPrefix  = "hs:"
)

func blkKey(h int64) string   { return fmt.Sprintf("%s%012d", blkPrefix, h) }
func hsKey(h sdk.Hash) string { return hsPrefix + h.String() }
func (b *Block) key() string  { return blkKey(b.Height) }
func errDB(err error) error   { return sdk.Errorf(sdk.KindInternal, "bmm store: %w", err) }

// Store is the h* index. It is safe for concurrent use.
type Store struct {
	db   *buntdb.DB
	meta Meta
	log  *slog.Logger
}

// Open opens (creating) the store file at path (":memory:" for a
// throw-away store), wipes it if it was built for another meta, and
// reconciles the index with the block records.
func Open(path string, meta Meta, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := buntdb.Open(path)
	if err != nil {
		return nil, errDB(fmt.Errorf("open %s: %w", path, err))
	}
	if err := syncAlways(db); err != nil {
		db.Close()
		return nil, errDB(fmt.Errorf("open %s: %w", path, err))
	}
	s := &Store{db: db, meta: meta, log: log}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// configurer is the part of *buntdb.DB that syncAlways uses.
type configurer interface {
	ReadConfig(*buntdb.Config) error
	SetConfig(buntdb.Config) error
}

// syncAlways makes every committed transaction fsync before it returns
// (buntdb.Always), so that a block record and its index entries survive a
// crash together. A failure of either step is returned: the store must not
// run with a weaker policy than it asked for.
func syncAlways(db configurer) error {
	var cfg buntdb.Config
	if err := db.ReadConfig(&cfg); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	cfg.SyncPolicy = buntdb.Always
	if err := db.SetConfig(cfg); err != nil {
		return fmt.Errorf("set sync policy: %w", err)
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Meta returns what the store is built for.
func (s *Store) Meta() Meta { return s.meta }

func (s *Store) init() error {
	return s.update(func(tx *buntdb.Tx) error {
		v, err := tx.Get(metaKey)
		switch {
		case errors.Is(err, buntdb.ErrNotFound):
		case err != nil:
			return err
		default:
			var old Meta
			if err := unmarshal(v, &old); err != nil || old != s.meta {
				s.log.Warn("bmm store built for another configuration: starting over", "stored", v, "want", marshal(s.meta))
				if err := tx.DeleteAll(); err != nil {
					return err
				}
			}
		}
		if _, _, err := tx.Set(metaKey, marshal(s.meta), nil); err != nil {
			return err
		}
		return reconcile(tx, s.log)
	})
}

// reconcile makes the hs index agree with the blk records.
func reconcile(tx *buntdb.Tx, log *slog.Logger) error {
	want := map[string]Entry{} // hs key -> entry from the earliest block
	var werr error
	err := tx.AscendKeys(blkPrefix+"*", func(k, v string) bool {
		var b Block
		if b, werr = decodeBlock(v); werr != nil {
			return false
		}
		for _, a := range b.Accepts {
			if _, seen := want[hsKey(a.HStar)]; !seen {
				want[hsKey(a.HStar)] = Entry{MainHash: b.Hash, MainHeight: b.Height, Vout: a.Vout}
			}
		}
		return true
	})
	if err = errors.Join(err, werr); err != nil {
		return err
	}
	var drop []string
	err = tx.AscendKeys(hsPrefix+"*", func(k, v string) bool {
		if w, ok := want[k]; !ok || encodeEntry(w) != v {
			drop = append(drop, k)
		} else {
			delete(want, k)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, k := range drop {
		if _, err := tx.Delete(k); err != nil {
			return err
		}
	}
	for k, e := range want {
		if _, _, err := tx.Set(k, encodeEntry(e), nil); err != nil {
			return err
		}
	}
	if n := len(drop) + len(want); n > 0 {
		log.Warn("bmm store: repaired the h* index after an interrupted write", "dropped", len(drop), "added", len(want))
	}
	return nil
}

func (s *Store) update(fn func(tx *buntdb.Tx) error) error {
	if err := s.db.Update(fn); err != nil {
		if errors.Is(err, ErrNotCursor) {
			return err
		}
		return errDB(err)
	}
	return nil
}

func (s *Store) view(fn func(tx *buntdb.Tx) error) error {
	if err := s.db.View(fn); err != nil {
		return errDB(err)
	}
	return nil
}

// Lookup returns where h* was accepted on the followed mainchain.
func (s *Store) Lookup(hstar sdk.Hash) (e Entry, ok bool, err error) {
	err = s.view(func(tx *buntdb.Tx) error {
		v, err := tx.Get(hsKey(hstar))
		if errors.Is(err, buntdb.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		e, err = decodeEntry(v)
		return err
	})
	return e, ok, err
}

// Cursor returns the last followed mainchain block; ok is false for an
// empty store.
func (s *Store) Cursor() (b Block, ok bool, err error) {
	err = s.view(func(tx *buntdb.Tx) error {
		b, ok, err = cursor(tx)
		return err
	})
	return b, ok, err
}

func cursor(tx *buntdb.Tx) (b Block, ok bool, err error) {
	var v string
	err = tx.DescendKeys(blkPrefix+"*", func(_, val string) bool {
		v, ok = val, true
		return false
	})
	if err != nil || !ok {
		return b, ok, err
	}
	b, err = decodeBlock(v)
	return b, true, err
}

// BlockAt returns the record of the followed block at height.
func (s *Store) BlockAt(height int64) (b Block, ok bool, err error) {
	err = s.view(func(tx *buntdb.Tx) error {
		v, err := tx.Get(blkKey(height))
		if errors.Is(err, buntdb.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		b, err = decodeBlock(v)
		return err
	})
	return b, ok, err
}

// Connect records b as the new cursor block, in one transaction. In a
// non-empty store b must be at the cursor's height + 1 with Prev equal to
// the cursor's hash (else ErrNotCursor). Accepts of h* values already in
// the index keep their earlier entry.
func (s *Store) Connect(b Block) error {
	return s.update(func(tx *buntdb.Tx) error {
		cur, ok, err := cursor(tx)
		if err != nil {
			return err
		}
		if ok && (b.Height != cur.Height+1 || b.Prev != cur.Hash) {
			return fmt.Errorf("%w: connect %d %s (parent %s) on %d %s", ErrNotCursor, b.Height, b.Hash, b.Prev, cur.Height, cur.Hash)
		}
		if _, _, err := tx.Set(b.key(), encodeBlock(b), nil); err != nil {
			return err
		}
		for _, a := range b.Accepts {
			k := hsKey(a.HStar)
			if _, err := tx.Get(k); err == nil {
				continue
			} else if !errors.Is(err, buntdb.ErrNotFound) {
				return err
			}
			e := Entry{MainHash: b.Hash, MainHeight: b.Height, Vout: a.Vout}
			if _, _, err := tx.Set(k, encodeEntry(e), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Disconnect removes the cursor block, which must be at height with the
// given hash (else ErrNotCursor), and the index entries it added.
func (s *Store) Disconnect(height int64, hash sdk.Hash) error {
	return s.update(func(tx *buntdb.Tx) error {
		cur, ok, err := cursor(tx)
		if err != nil {
			return err
		}
		if !ok || cur.Height != height || cur.Hash != hash {
			return fmt.Errorf("%w: disconnect %d %s", ErrNotCursor, height, hash)
		}
		if _, err := tx.Delete(cur.key()); err != nil {
			return err
		}
		for _, a := range cur.Accepts {
			k := hsKey(a.HStar)
			v, err := tx.Get(k)
			if errors.Is(err, buntdb.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			e, err := decodeEntry(v)
			if err != nil {
				return err
			}
			if e.MainHeight == height && e.MainHash == hash {
				if _, err := tx.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Reset removes every block record and index entry in one transaction
// (the meta record stays): the store is empty, as on first start, and
// following restarts at the start height.
func (s *Store) Reset() error {
	return s.update(func(tx *buntdb.Tx) error {
		var keys []string
		err := tx.Ascend("", func(k, _ string) bool {
			if strings.HasPrefix(k, blkPrefix) || strings.HasPrefix(k, hsPrefix) {
				keys = append(keys, k)
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// First returns the record of the first followed block (the lowest
// height); ok is false for an empty store.
func (s *Store) First() (b Block, ok bool, err error) {
	err = s.view(func(tx *buntdb.Tx) error {
		var v string
		if err := tx.AscendKeys(blkPrefix+"*", func(_, val string) bool {
			v, ok = val, true
			return false
		}); err != nil || !ok {
			return err
		}
		b, err = decodeBlock(v)
		return err
	})
	return b, ok, err
}

// Len returns the number of block records and index entries, for logs
// and tests.
func (s *Store) Len() (blocks, entries int, err error) {
	err = s.view(func(tx *buntdb.Tx) error {
		return tx.Ascend("", func(k, _ string) bool {
			switch {
			case strings.HasPrefix(k, blkPrefix):
				blocks++
			case strings.HasPrefix(k, hsPrefix):
				entries++
			}
			return true
		})
	})
	return blocks, entries, err
}
