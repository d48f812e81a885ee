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
