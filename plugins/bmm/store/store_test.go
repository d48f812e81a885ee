package store

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/tidwall/buntdb"

	"github.com/amber-electrum/amber/sdk"
)

func h(b byte) sdk.Hash { return sdk.Hash{b} }

func open(t *testing.T, path string, m Meta) *Store {
	t.Helper()
	s, err := Open(path, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustConnect(t *testing.T, s *Store, b Block) {
	t.Helper()
	if err := s.Connect(b); err != nil {
		t.Fatalf("Connect(%d): %v", b.Height, err)
	}
}

func lookup(t *testing.T, s *Store, hs sdk.Hash) (Entry, bool) {
	t.Helper()
	e, ok, err := s.Lookup(hs)
	if err != nil {
		t.Fatal(err)
	}
	return e, ok
}

// chain builds records at heights 10.. with hashes 0xA0+i, each block i
// accepting the given h* values.
func chain(accepts ...[]Accept) []Block {
	var out []Block
	prev := h(0x99)
	for i, a := range accepts {
		b := Block{Height: 10 + int64(i), Hash: h(0xA0 + byte(i)), Prev: prev, Accepts: a}
		out = append(out, b)
		prev = b.Hash
	}
	return out
}

func TestConnectLookupDisconnect(t *testing.T) {
	s := open(t, ":memory:", Meta{Sidechain: 2, StartHeight: 10})
	defer s.Close()
	blocks := chain(
		[]Accept{{h(1), 1}},
		nil,
		[]Accept{{h(2), 3}, {h(1), 2}}, // h(1) again: the earlier block stays
	)
	if _, ok, err := s.Cursor(); ok || err != nil {
		t.Fatalf("empty store has a cursor: %v %v", ok, err)
	}
	for _, b := range blocks {
		mustConnect(t, s, b)
	}
	cur, ok, err := s.Cursor()
	if err != nil || !ok || cur.Height != 12 || cur.Hash != blocks[2].Hash || len(cur.Accepts) != 2 {
		t.Fatalf("cursor = %+v %v %v", cur, ok, err)
	}
	tests := []struct {
		hs     sdk.Hash
		ok     bool
		height int64
		vout   uint32
	}{
		{h(1), true, 10, 1},
		{h(2), true, 12, 3},
		{h(3), false, 0, 0},
	}
	for _, tc := range tests {
		e, ok := lookup(t, s, tc.hs)
		if ok != tc.ok || (ok && (e.MainHeight != tc.height || e.Vout != tc.vout || e.TxPos != 0 || e.MainHash != h(0xA0+byte(tc.height-10)))) {
			t.Errorf("Lookup(%x) = %+v %v, want height %d vout %d ok %v", tc.hs[0], e, ok, tc.height, tc.vout, tc.ok)
		}
	}

	// Wrong parent, wrong height, wrong disconnect target.
	bad := Block{Height: 13, Hash: h(0xB0), Prev: h(0x01)}
	if err := s.Connect(bad); !errors.Is(err, ErrNotCursor) {
		t.Fatalf("Connect with a wrong parent: %v", err)
	}
	bad.Height, bad.Prev = 14, blocks[2].Hash
	if err := s.Connect(bad); !errors.Is(err, ErrNotCursor) {
		t.Fatalf("Connect with a gap: %v", err)
	}
	if err := s.Disconnect(11, blocks[1].Hash); !errors.Is(err, ErrNotCursor) {
		t.Fatalf("Disconnect below the cursor: %v", err)
	}

	// Undo block 12: h(2) goes, h(1) (from block 10) stays.
	if err := s.Disconnect(12, blocks[2].Hash); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup(t, s, h(2)); ok {
		t.Fatal("h(2) survived the disconnect of its block")
	}
	if e, ok := lookup(t, s, h(1)); !ok || e.MainHeight != 10 {
		t.Fatalf("h(1) = %+v %v after disconnecting a later block", e, ok)
	}
	if err := s.Disconnect(11, blocks[1].Hash); err != nil {
		t.Fatal(err)
	}
	if err := s.Disconnect(10, blocks[0].Hash); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup(t, s, h(1)); ok {
		t.Fatal("h(1) survived the disconnect of its block")
	}
	if n, m, err := s.Len(); n != 0 || m != 0 || err != nil {
		t.Fatalf("Len after undoing everything = %d, %d, %v", n, m, err)
	}
	// An empty store takes any first block.
	mustConnect(t, s, Block{Height: 50, Hash: h(0xC0), Prev: h(0xC1)})
}

func TestPersistsAndWipesOnMetaChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bmm.db")
	m := Meta{Sidechain: 2, StartHeight: 10}
	s := open(t, path, m)
	for _, b := range chain([]Accept{{h(1), 1}}, []Accept{{h(2), 1}}) {
		mustConnect(t, s, b)
	}
	s.Close()

	s = open(t, path, m)
	if e, ok := lookup(t, s, h(2)); !ok || e.MainHeight != 11 {
		t.Fatalf("after reopen: %+v %v", e, ok)
	}
	if cur, ok, _ := s.Cursor(); !ok || cur.Height != 11 {
		t.Fatalf("cursor after reopen: %+v %v", cur, ok)
	}
	s.Close()

	s = open(t, path, Meta{Sidechain: 3, StartHeight: 10})
	defer s.Close()
	if n, e, err := s.Len(); n != 0 || e != 0 || err != nil {
		t.Fatalf("store for another sidechain kept %d blocks, %d entries (%v)", n, e, err)
	}
	if s.Meta().Sidechain != 3 {
		t.Fatalf("meta %+v", s.Meta())
	}
}

// TestReconcile simulates a torn write: an index entry without its block
// record and a block record without its index entry.
func TestReconcile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bmm.db")
	m := Meta{Sidechain: 1, StartHeight: 10}
	s := open(t, path, m)
	blocks := chain([]Accept{{h(1), 1}}, []Accept{{h(2), 1}})
	for _, b := range blocks {
		mustConnect(t, s, b)
	}
	s.Close()

	db, err := buntdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *buntdb.Tx) error {
		if _, err := tx.Delete(hsKey(h(2))); err != nil {
			return err
		}
		// block 12 never made it, but its index entry did
		_, _, err := tx.Set(hsKey(h(3)), encodeEntry(Entry{MainHash: h(0xEE), MainHeight: 12}), nil)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = open(t, path, m)
	defer s.Close()
	if _, ok := lookup(t, s, h(3)); ok {
		t.Fatal("orphan index entry kept")
	}
	if e, ok := lookup(t, s, h(2)); !ok || e.MainHeight != 11 || e.MainHash != blocks[1].Hash || e.Vout != 1 {
		t.Fatalf("missing index entry not restored: %+v %v", e, ok)
	}
	if n, e, _ := s.Len(); n != 2 || e != 2 {
		t.Fatalf("Len = %d, %d", n, e)
	}
}

// fakeConfig fails ReadConfig or SetConfig on demand and records what was
// set.
type fakeConfig struct {
	readErr, setErr error
	set             *buntdb.Config
}

func (f *fakeConfig) ReadConfig(c *buntdb.Config) error {
	*c = buntdb.Config{SyncPolicy: buntdb.EverySecond, AutoShrinkPercentage: 100}
	return f.readErr
}

func (f *fakeConfig) SetConfig(c buntdb.Config) error {
	if f.setErr != nil {
		return f.setErr
	}
	f.set = &c
	return nil
}

// TestSyncPolicyFailureIsReported: a store that cannot get the fsync
// policy it asks for reports it instead of running without it.
func TestSyncPolicyFailureIsReported(t *testing.T) {
	readErr, setErr := errors.New("read refused"), errors.New("set refused")
	tests := []struct {
		name string
		cfg  fakeConfig
		want error
	}{
		{"read fails", fakeConfig{readErr: readErr}, readErr},
		{"set fails", fakeConfig{setErr: setErr}, setErr},
		{"both work", fakeConfig{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := syncAlways(&tc.cfg)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("syncAlways = %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				if tc.cfg.set == nil || tc.cfg.set.SyncPolicy != buntdb.Always || tc.cfg.set.AutoShrinkPercentage != 100 {
					t.Fatalf("set %+v, want the read config with SyncPolicy Always", tc.cfg.set)
				}
			} else if tc.cfg.set != nil {
				t.Fatalf("config set after a failure: %+v", tc.cfg.set)
			}
		})
	}
	// On a real, closed database both steps fail, and the error names it.
	db, err := buntdb.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := syncAlways(db); !errors.Is(err, buntdb.ErrDatabaseClosed) {
		t.Fatalf("closed db: %v", err)
	}
	// An open one gets the policy.
	s := open(t, ":memory:", Meta{})
	defer s.Close()
	var cfg buntdb.Config
	if err := s.db.ReadConfig(&cfg); err != nil || cfg.SyncPolicy != buntdb.Always {
		t.Fatalf("sync policy %v (%v), want Always", cfg.SyncPolicy, err)
	}
}

func TestResetAndFirst(t *testing.T) {
	s := open(t, ":memory:", Meta{Sidechain: 1, StartHeight: 10})
	defer s.Close()
	if _, ok, err := s.First(); ok || err != nil {
		t.Fatalf("First of an empty store: %v %v", ok, err)
	}
	blocks := chain([]Accept{{h(1), 1}}, nil, []Accept{{h(2), 3}})
	for _, b := range blocks {
		mustConnect(t, s, b)
	}
	if f, ok, err := s.First(); !ok || err != nil || f.Height != 10 || f.Hash != blocks[0].Hash {
		t.Fatalf("First = %+v %v %v", f, ok, err)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if n, e, err := s.Len(); n != 0 || e != 0 || err != nil {
		t.Fatalf("Len after Reset = %d, %d, %v", n, e, err)
	}
	if _, ok := lookup(t, s, h(2)); ok {
		t.Fatal("entry kept by Reset")
	}
	if s.Meta() != (Meta{Sidechain: 1, StartHeight: 10}) {
		t.Fatalf("meta %+v", s.Meta())
	}
	// Empty again: any first block connects.
	mustConnect(t, s, Block{Height: 10, Hash: h(0xD0), Prev: h(0xD1)})
}
