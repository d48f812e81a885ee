package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// bulkOp is one write of a bulk load: a delete when val is "".
type bulkOp struct{ key, val string }

// bulkLoad commits ops as a bulk load of s; after is what its fn returns
// once they are written.
func bulkLoad(s Store, size int64, ops []bulkOp, after error) error {
	return s.(BulkLoader).BulkLoad(context.Background(), size, func(w Writer) error {
		if err := writeOps(w, ops); err != nil {
			return err
		}
		return after
	})
}

// writeOps writes ops to w in order.
func writeOps(w Writer, ops []bulkOp) error {
	for _, op := range ops {
		var err error
		if op.val == "" {
			err = w.Delete([]byte(op.key))
		} else {
			err = w.Set([]byte(op.key), []byte(op.val))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TestPebbleBulkLoad: a bulk load commits its writes as Load would (the
// later of two writes of a key wins, a delete removes an older key),
// whether it ingests tables or commits a batch; a write out of order, a
// reserved key or a failing fn commits nothing and leaves no table behind.
func TestPebbleBulkLoad(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name   string
		ops    []bulkOp
		after  error
		want   map[string]string // nil: unchanged
		err    error
		ingest bool
	}{
		{name: "ingested", ops: []bulkOp{{"a", "1"}, {"a", "2"}, {"b", "x"}, {"c", "3"}, {"c", ""}, {"old", ""}},
			want: map[string]string{"a": "2", "b": "x", "keep": "2"}, ingest: true},
		{name: "delete then set", ops: []bulkOp{{"keep", ""}, {"keep", "3"}, {"old", ""}},
			want: map[string]string{"keep": "3"}, ingest: true},
		{name: "only deletes", ops: []bulkOp{{"keep", ""}, {"old", ""}}, want: map[string]string{}, ingest: true},
		{name: "empty", want: map[string]string{"old": "1", "keep": "2"}},
		{name: "unsorted", ops: []bulkOp{{"b", "1"}, {"a", "1"}}, err: ErrUnsorted},
		{name: "unsorted after equal", ops: []bulkOp{{"b", "1"}, {"b", "2"}, {"a", "1"}}, err: ErrUnsorted},
		{name: "reserved key", ops: []bulkOp{{"a", "1"}, {markerKey, "x"}}, err: ErrReservedKey},
		{name: "fn fails", ops: []bulkOp{{"a", "1"}, {"z", "1"}}, after: boom, err: boom},
	} {
		for _, size := range []int64{1 << 10, 1 << 30} {
			t.Run(fmt.Sprintf("%s/size=%d", tc.name, size), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "db")
				s, err := OpenPebble(dir, PebbleOptions{CacheMB: 16, BulkMinBytes: 1 << 20})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				set(t, s, "old", "1", "keep", "2")
				err = bulkLoad(s, size, tc.ops, tc.after)
				if !errors.Is(err, tc.err) {
					t.Fatalf("BulkLoad: %v, want %v", err, tc.err)
				}
				want := tc.want
				if want == nil {
					want = map[string]string{"old": "1", "keep": "2"}
				}
				if got := dump(t, s); !reflect.DeepEqual(got, want) {
					t.Fatalf("after BulkLoad: %v, want %v", got, want)
				}
				ingested := s.(*pebbleStore).db.Metrics().Ingest.Count
				if wantIngest := tc.ingest && size >= 1<<20; (ingested > 0) != wantIngest {
					t.Fatalf("%d ingestions, want ingestion %v", ingested, wantIngest)
				}
				if left, _ := os.ReadDir(filepath.Join(dir, bulkDirName)); len(left) != 0 {
					t.Fatalf("%d files left in %s", len(left), bulkDirName)
				}
			})
		}
	}
}

// heightRows are n rows of family p keyed by height from h, of size bytes
// each.
func heightRows(p byte, h, n, size int) []bulkOp {
	ops := make([]bulkOp, n)
	val := string(make([]byte, size))
	for i := range ops {
		k := []byte{p, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(k[1:], uint32(h+i))
		ops[i] = bulkOp{string(k), val + "v"}
	}
	return ops
}

// TestPebbleBulkLoadBottomLevel: a bulk load's rows of a family keyed by
// height, past every key of that family already held, are a table of
// their own that goes to the bottom level, where no compaction rewrites
// it; a family whose keys fall among older ones goes to L0.
func TestPebbleBulkLoadBottomLevel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := OpenPebble(dir, PebbleOptions{CacheMB: 16, BulkMinBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.(*pebbleStore).db
	// Two families: "A" keyed by height (as B and R rows are), "X" by
	// the same keys each time (as history rows fall among older ones).
	for round := 0; round < 3; round++ {
		ops := heightRows('A', round*2000, 2000, 600) // 1.2 MB: a table of its own
		ops = append(ops, heightRows('X', 0, 100, 10)...)
		if err := bulkLoad(s, 1<<30, ops, nil); err != nil {
			t.Fatal(err)
		}
	}
	m := db.Metrics()
	bottom := m.Levels[len(m.Levels)-1].TablesIngested
	if bottom < 3 {
		t.Fatalf("%d tables ingested into the bottom level, want the 3 height-keyed ones (levels: %+v)", bottom, m.Levels)
	}
	if m.Levels[0].TablesIngested == 0 {
		t.Fatalf("no table ingested into L0: the overlapping family should be")
	}
	got := dump(t, s)
	if len(got) != 6000+100 {
		t.Fatalf("%d keys, want 6100", len(got))
	}
}

// TestPebbleBulkDirReset: tables that a crash left in the bulk-load
// directory before their ingestion are removed when the store opens, and
// the store opens as it was.
func TestPebbleBulkDirReset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := OpenPebble(dir, PebbleOptions{CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "a", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, bulkDirName, "000001.sst")
	if err := os.WriteFile(stale, []byte("half a table"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = OpenPebble(dir, PebbleOptions{CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale table still there: %v", err)
	}
	if got := dump(t, s); !reflect.DeepEqual(got, map[string]string{"a": "1"}) {
		t.Fatalf("reopened: %v", got)
	}
}

// TestPebbleBulkLoadLargeFamily: a family larger than a table holds is cut
// into several tables, built in parallel, every row readable after.
func TestPebbleBulkLoadLargeFamily(t *testing.T) {
	s, err := OpenPebble(filepath.Join(t.TempDir(), "db"), PebbleOptions{CacheMB: 16, BulkMinBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ops := heightRows('A', 0, 40000, 600) // 24 MB
	if err := bulkLoad(s, 1<<30, ops, nil); err != nil {
		t.Fatal(err)
	}
	m := s.(*pebbleStore).db.Metrics()
	if n := m.Total().TablesIngested; n < 3 {
		t.Fatalf("%d tables ingested, want at least 3 for 24 MB", n)
	}
	got := dump(t, s)
	if len(got) != len(ops) {
		t.Fatalf("%d keys, want %d", len(got), len(ops))
	}
	for _, op := range ops {
		if got[op.key] != op.val {
			t.Fatalf("key %x: value of %d bytes, want %d", op.key, len(got[op.key]), len(op.val))
		}
	}
}

// TestPebbleBulkLoadDiskFull: a bulk load whose tables meet a full disk
// fails naming the cause, commits nothing, leaves no table behind, and
// every later commit fails too; reopened on a healthy disk the store holds
// what it held before.
func TestPebbleBulkLoadDiskFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	var full atomic.Bool
	s, err := OpenPebble(dir, PebbleOptions{Sync: SyncAlways, CacheMB: 16, BulkMinBytes: 1, FS: fullFS{vfs.Default, &full}})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "keep", "1")
	full.Store(true)
	err = bulkLoad(s, 1<<30, heightRows('A', 0, 20000, 600), nil) // 12 MB: several tables
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("bulk load on a full disk: %v", err)
	}
	if got := dump(t, s); !reflect.DeepEqual(got, map[string]string{"keep": "1"}) {
		t.Fatalf("after the failed bulk load: %d keys", len(got))
	}
	if err := bulkLoad(s, 1<<30, []bulkOp{{"z", "1"}}, nil); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a later bulk load: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, bulkDirName)); len(left) != 0 {
		t.Errorf("%d files left in %s", len(left), bulkDirName)
	}
	_ = s.Close()
	full.Store(false)
	s, err = OpenPebble(dir, PebbleOptions{CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := dump(t, s); !reflect.DeepEqual(got, map[string]string{"keep": "1"}) {
		t.Fatalf("reopened: %v", got)
	}
}

// TestPebbleBulkLoadWaitsForL0: with L0 at pebble's stop-writes count of
// sublevels (compactions off here), a bulk load waits for compactions
// instead of adding another; given up, it commits nothing.
func TestPebbleBulkLoadWaitsForL0(t *testing.T) {
	s, err := OpenPebble(filepath.Join(t.TempDir(), "db"), PebbleOptions{CacheMB: 16, BulkMinBytes: 1, noCompactions: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.(*pebbleStore).db
	for i := 0; db.Metrics().Levels[0].Sublevels < l0StopSublevels; i++ {
		if i > 2*l0StopSublevels {
			t.Fatalf("L0 at %d sublevels after %d bulk loads", db.Metrics().Levels[0].Sublevels, i)
		}
		if err := bulkLoad(s, 1<<30, []bulkOp{{"a", fmt.Sprint(i)}, {"b", fmt.Sprint(i)}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	before := dump(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = s.(BulkLoader).BulkLoad(ctx, 1<<30, func(w Writer) error { return w.Set([]byte("a"), []byte("late")) })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("bulk load with L0 full: %v, want it to wait until its context ends", err)
	}
	if got := dump(t, s); !reflect.DeepEqual(got, before) {
		t.Fatalf("the held-back bulk load changed the store: %v, was %v", got, before)
	}
}
