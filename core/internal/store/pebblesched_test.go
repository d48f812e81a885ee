package store

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// fakeCompactDB is a pebble.DBForCompaction with a count of waiting
// compactions; Schedule starts one (the test finishes it with Done).
type fakeCompactDB struct {
	mu        sync.Mutex
	allowed   int
	waiting   int
	scheduled int
}

func (f *fakeCompactDB) GetAllowedWithoutPermission() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.allowed
}

func (f *fakeCompactDB) GetWaitingCompaction() (bool, pebble.WaitingCompaction) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting > 0, pebble.WaitingCompaction{}
}

func (f *fakeCompactDB) Schedule(pebble.CompactionGrantHandle) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.waiting == 0 {
		return false
	}
	f.waiting--
	f.scheduled++
	return true
}

func (f *fakeCompactDB) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scheduled
}

// TestGatedScheduler: no compaction before release, neither asked for
// (TrySchedule) nor granted to waiting ones; after release, waiting
// compactions are granted up to the allowed concurrency, and one more
// when a running one is done.
func TestGatedScheduler(t *testing.T) {
	db := &fakeCompactDB{allowed: 2, waiting: 5}
	s := newGatedScheduler()
	s.Register(1, db)
	defer s.Unregister()
	if ok, _ := s.TrySchedule(); ok {
		t.Fatal("TrySchedule granted a compaction before release")
	}
	s.grant()
	if n := db.count(); n != 0 {
		t.Fatalf("%d compactions granted before release", n)
	}
	s.release()
	s.grant()
	if n := db.count(); n != 2 {
		t.Fatalf("after release %d compactions granted, want the allowed 2", n)
	}
	if ok, _ := s.TrySchedule(); ok {
		t.Fatal("TrySchedule granted a third compaction with 2 allowed")
	}
	s.Done()
	s.grant()
	if n := db.count(); n != 3 {
		t.Fatalf("after one Done %d compactions granted, want 3", n)
	}
	s.Unregister()
	s.Done()
	s.grant()
	if n := db.count(); n != 3 {
		t.Fatalf("granted after Unregister (%d)", n)
	}
	if ok, _ := s.TrySchedule(); ok {
		t.Fatal("TrySchedule granted after Unregister")
	}
}

// TestPebbleCompactsAfterOpen: the gate opens when Open returns, so a
// backlog of L0 files left by bulk writes is compacted after a reopen.
func TestPebbleCompactsAfterOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	opts := PebbleOptions{Sync: SyncNever, CacheMB: 16}
	// The backlog is written with compactions off: otherwise, on a slow
	// machine, they can keep up with the writes and leave too few L0
	// tables to need one after the reopen.
	s, err := OpenPebble(dir, PebbleOptions{Sync: SyncNever, CacheMB: 16, noCompactions: true})
	if err != nil {
		t.Fatal(err)
	}
	k := make([]byte, 36)
	for b := 0; b < 12; b++ {
		err := s.Update(context.Background(), func(tx RWTx) error {
			for i := 0; i < 20_000; i++ {
				rand.Read(k)
				if err := tx.Set(k, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.(*pebbleStore).db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = OpenPebble(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.(*pebbleStore).db
	if m := db.Metrics(); m.Levels[0].TablesCount < 4 {
		t.Fatal("the writes left no L0 tables to compact; the test needs a backlog")
	}
	// A liveness check, not a timing one: the deadline only ends a hang.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if db.Metrics().Compact.Count > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no compaction ran after reopen: %s", db.Metrics())
		}
	}
}
