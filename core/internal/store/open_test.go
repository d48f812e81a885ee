package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRefusesOtherEngine: a directory holding one engine's index stops
// Open of the other engine with a message naming both and what to do, and
// leaves the directory as it was.
func TestOpenRefusesOtherEngine(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ have, want string }{
		{EngineBunt, EnginePebble},
		{EnginePebble, EngineBunt},
		{EngineBunt, ""}, // the default engine is pebble
	} {
		t.Run(tc.have+"->"+tc.want, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(ctx, dir, Options{Engine: tc.have, Sync: SyncNever, CacheMB: 16})
			if err != nil {
				t.Fatal(err)
			}
			set(t, s, "k", "v")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			before := listDir(t, dir)
			_, err = Open(ctx, dir, Options{Engine: tc.want, Sync: SyncNever, CacheMB: 16})
			if !errors.Is(err, ErrOtherEngine) {
				t.Fatalf("Open(%q) on a %s index: err = %v, want ErrOtherEngine", tc.want, tc.have, err)
			}
			msg := err.Error()
			for _, w := range []string{EnginePebble, EngineBunt, Path(dir, tc.have), "db_engine: " + tc.have, "AMBER_DB_ENGINE=" + tc.have} {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if after := listDir(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("refused Open changed the directory: %v -> %v", before, after)
			}
			s, err = Open(ctx, dir, Options{Engine: tc.have, Sync: SyncNever, CacheMB: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := dump(t, s); got["k"] != "v" {
				t.Errorf("index after the refused Open: %v", got)
			}
		})
	}
	if _, err := Open(ctx, t.TempDir(), Options{Engine: "leveldb"}); err == nil {
		t.Error("Open with an unknown engine succeeded")
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		names = append(names, fmt.Sprintf("%s:%d:%d", p, fi.Size(), fi.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestPlanCache pins how cache_mb is divided: pebble's caches and the
// index's flush budget never exceed cache_mb together (two memtables
// counted), the flush budget keeps at least a quarter, and buntdb gives it
// everything.
func TestPlanCache(t *testing.T) {
	for _, mb := range []int{0, 1, 50, 300, 1200, 8000} {
		p := PlanCache(EnginePebble, mb)
		total := int64(mb) << 20
		if mb == 0 {
			total = DefaultCacheMB << 20
		}
		if p.BlockCache <= 0 || p.MemTable < 4<<20 || p.MemTable > 64<<20 || p.MemTables < 2 {
			t.Errorf("cache_mb %d: plan %+v", mb, p)
		}
		if p.FlushBytes < min(total/4, 2<<30) {
			t.Errorf("cache_mb %d: flush budget %d below a quarter", mb, p.FlushBytes)
		}
		if mb >= 50 && p.BlockCache+2*p.MemTable+p.FlushBytes > total {
			t.Errorf("cache_mb %d: plan %+v exceeds %d bytes", mb, p, total)
		}
		if b := PlanCache(EngineBunt, mb); b.FlushBytes != total || b.BlockCache != 0 {
			t.Errorf("cache_mb %d: buntdb plan %+v", mb, b)
		}
	}
	if p := PlanCache(EnginePebble, 64000); p.FlushBytes > 2<<30 {
		t.Errorf("cache_mb 64000: flush budget %d beyond what a pebble batch holds", p.FlushBytes)
	}
	if a, b := PlanCache(EnginePebble, 300), PlanCache(EnginePebble, 1200); a.BlockCache >= b.BlockCache || a.FlushBytes >= b.FlushBytes {
		t.Errorf("the plan does not follow cache_mb: 300 %+v, 1200 %+v", a, b)
	}
}

// TestOpenFiles: pebble's table cache is sized from the open-file limit
// (half of what amberd's own files leave, within its bounds) instead of a
// fixed 1000 that a limit of 1024 could not hold; buntdb keeps one file.
func TestOpenFiles(t *testing.T) {
	for _, tc := range []struct {
		engine string
		nofile uint64
		want   int
	}{
		{EngineBunt, 1024, 1},
		{EnginePebble, 0, PebbleMaxOpenFiles},
		{EnginePebble, 65536, PebbleMaxOpenFiles},
		{EnginePebble, 2100, 1000},
		{EnginePebble, 1024, 462},
		{EnginePebble, 512, PebbleMinOpenFiles},
		{EnginePebble, 50, PebbleMinOpenFiles},
	} {
		if got := OpenFiles(tc.engine, tc.nofile, 100); got != tc.want {
			t.Errorf("OpenFiles(%s, %d, 100) = %d, want %d", tc.engine, tc.nofile, got, tc.want)
		}
	}
}

// TestPebbleSmallOpenFiles: a pebble store opened with the smallest table
// cache still reads and writes.
func TestPebbleSmallOpenFiles(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{Engine: EnginePebble, CacheMB: 16, MaxOpenFiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(ctx, func(tx RWTx) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx Tx) error {
		v, err := tx.Get([]byte("k"))
		if err == nil && string(v) != "v" {
			err = fmt.Errorf("got %q", v)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
