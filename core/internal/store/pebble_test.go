package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestPebbleTornWAL cuts pebble's write-ahead log at many points inside
// its last commits, as a crash during the write would leave it: the
// reopened store must hold exactly the state after some complete commit,
// and at least every commit wholly before the cut.
func TestPebbleTornWAL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := OpenPebble(dir, PebbleOptions{Sync: SyncAlways, CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	wal := newestWAL(t, dir)
	states := []map[string]string{{}}
	sizes := []int64{walSize(t, wal)}
	for i := 0; i < 4; i++ {
		kv := []string{fmt.Sprintf("k%d", i), strings.Repeat("v", 300*i+1), fmt.Sprintf("m%d", i), "w", "k0", fmt.Sprint("upd", i)}
		if i == 3 {
			kv = append(kv, "m1", "<del>")
		}
		set(t, s, kv...)
		states = append(states, dump(t, s))
		sizes = append(sizes, walSize(t, wal))
	}
	// The files as a crash would leave them (every commit was synced): a
	// clean Close flushes the memtable and retires this WAL.
	crashed := filepath.Join(t.TempDir(), "crashed")
	copyDir(t, dir, crashed)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dir, wal = crashed, filepath.Join(crashed, filepath.Base(wal))
	full, err := os.ReadFile(wal)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(full)) < sizes[len(sizes)-1] || sizes[1] <= sizes[0] {
		t.Fatalf("the commits are not in %s (sizes %v, file %d bytes)", wal, sizes, len(full))
	}
	for cut := sizes[0]; cut <= int64(len(full)); cut += 13 {
		work := filepath.Join(t.TempDir(), "db")
		copyDir(t, dir, work)
		if err := os.Truncate(filepath.Join(work, filepath.Base(wal)), cut); err != nil {
			t.Fatal(err)
		}
		s, err := OpenPebble(work, PebbleOptions{Sync: SyncNever, CacheMB: 16})
		if err != nil {
			t.Fatalf("cut %d: open: %v", cut, err)
		}
		got := dump(t, s)
		_ = s.Close()
		minWant := 0
		for i, sz := range sizes {
			if sz <= cut {
				minWant = i
			}
		}
		match := -1
		for i := range states {
			if reflect.DeepEqual(got, states[i]) || (len(got) == 0 && len(states[i]) == 0) {
				match = i
			}
		}
		if match < minWant {
			t.Fatalf("cut %d: state %v is not commit %d or later", cut, got, minWant)
		}
	}
}

func newestWAL(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(m) == 0 {
		t.Fatalf("no WAL in %s", dir)
	}
	return m[len(m)-1]
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// fullFS fails every file write with ENOSPC once full is set, as a full
// disk does.
type fullFS struct {
	vfs.FS
	full *atomic.Bool
}

func (f fullFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := f.FS.Create(name, c)
	return fullFile{file, f.full}, err
}

func (f fullFS) ReuseForWrite(o, n string, c vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := f.FS.ReuseForWrite(o, n, c)
	return fullFile{file, f.full}, err
}

type fullFile struct {
	vfs.File
	full *atomic.Bool
}

func (f fullFile) Write(p []byte) (int, error) {
	if f.full.Load() {
		return 0, &os.PathError{Op: "write", Path: "db", Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

func (f fullFile) Sync() error {
	if f.full.Load() {
		return &os.PathError{Op: "sync", Path: "db", Err: syscall.ENOSPC}
	}
	return f.File.Sync()
}

// TestPebbleDiskFull: once the disk is full the pebble store refuses
// every further commit with an error naming the cause, keeps answering
// reads, closes, and reopened on a healthy disk holds a prefix of the
// commits, whole, and takes new ones.
func TestPebbleDiskFull(t *testing.T) {
	ctx := context.Background()
	for _, sync := range []SyncPolicy{SyncAlways, SyncNever} {
		t.Run(fmt.Sprint("sync", sync), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			var full atomic.Bool
			s, err := OpenPebble(dir, PebbleOptions{Sync: sync, CacheMB: 16, FS: fullFS{vfs.Default, &full}})
			if err != nil {
				t.Fatal(err)
			}
			set(t, s, "a", "1", "b", "1")
			full.Store(true)
			// Values beyond a WAL block (32 KiB): pebble writes a NoSync
			// commit's log once a block fills.
			big := strings.Repeat("x", 40<<10)
			// The commit whose write fails (with NoSync: the next one)
			// and every later one report the full disk.
			var first error
			for i := 0; i < 50 && first == nil; i++ {
				first = s.Update(ctx, func(tx RWTx) error {
					_ = tx.Set([]byte("a"), []byte(fmt.Sprint(i+2)))
					_ = tx.Set([]byte("big"), []byte(big))
					return tx.Set([]byte("b"), []byte(fmt.Sprint(i+2)))
				})
				if first == nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
			if !errors.Is(first, syscall.ENOSPC) || !strings.Contains(first.Error(), "no space left on device") {
				t.Fatalf("commit on a full disk: %v", first)
			}
			if err := s.Update(ctx, func(tx RWTx) error { return tx.Set([]byte("c"), []byte("x")) }); !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("a later commit: %v", err)
			}
			if got := dump(t, s); got["a"] != got["b"] {
				t.Errorf("reads after the failure: %v", got)
			}
			closed := make(chan error, 1)
			go func() { closed <- s.Close() }()
			select {
			case err := <-closed:
				t.Logf("close: %v (poisoned %v)", err, s.(*pebbleStore).poisoned.Load())
			case <-time.After(30 * time.Second):
				t.Fatal("Close hangs after a disk write error")
			}
			full.Store(false)
			s2, err := OpenPebble(dir, PebbleOptions{Sync: sync, CacheMB: 16})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s2.Close()
			got := dump(t, s2)
			// With NoSync the first commit may still have been in
			// pebble's WAL buffer: the empty store is a prefix too.
			if got["a"] != got["b"] || got["c"] != "" || (sync == SyncAlways && got["a"] == "") {
				t.Fatalf("reopened store a=%q b=%q c=%q: not a whole commit prefix", got["a"], got["b"], got["c"])
			}
			set(t, s2, "c", "ok")
			if dump(t, s2)["c"] != "ok" {
				t.Fatal("no commit after recovery")
			}
		})
	}
}

var _ io.Closer = (*pebbleStore)(nil)

// TestPebbleClosed: View and Update of a closed store fail with ErrClosed
// (pebble itself panics on a closed DB), and Close is idempotent.
func TestPebbleClosed(t *testing.T) {
	s, err := OpenPebble(filepath.Join(t.TempDir(), "db"), PebbleOptions{CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "a", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if err := s.View(ctx, func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close: %v", err)
	}
	if err := s.Update(ctx, func(RWTx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}
}

// TestPebbleCloseLeavesNothingToReplay: a clean Close flushes the
// memtables, so the next Open replays no write-ahead log and flushes
// nothing before it returns (start-up does not grow with what the last
// run wrote), and every write is still there.
func TestPebbleCloseLeavesNothingToReplay(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncEverySecond, SyncNever} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			s, err := OpenPebble(dir, PebbleOptions{Sync: policy, CacheMB: 16})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for i := 0; i < 20; i++ {
				kv := []string{fmt.Sprintf("k%03d", i), strings.Repeat("v", 1000+i)}
				set(t, s, kv...)
				want[kv[0]] = kv[1]
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = OpenPebble(dir, PebbleOptions{Sync: policy, CacheMB: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Open flushes what it replayed before it returns: L0 shows
			// what was written since.
			m := s.(*pebbleStore).db.Metrics()
			if n := m.Levels[0].TablesFlushed; n != 0 {
				t.Errorf("open flushed %d tables (%d bytes) replayed from the WAL; want 0", n, m.Levels[0].TableBytesFlushed)
			}
			if got := dump(t, s); !reflect.DeepEqual(got, want) {
				t.Errorf("reopened store holds %d keys, want %d", len(got), len(want))
			}
		})
	}
}

// TestPebbleLoad: a Loader transaction commits its writes in the order
// written (the last write of a key wins, a delete removes an older key),
// refuses the reserved key, and commits nothing when fn fails.
func TestPebbleLoad(t *testing.T) {
	ctx := context.Background()
	s, err := OpenPebble(filepath.Join(t.TempDir(), "db"), PebbleOptions{CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	set(t, s, "old", "1", "keep", "2")
	l := s.(Loader)
	err = l.Load(ctx, func(w Writer) error {
		for _, op := range [][2]string{{"a", "1"}, {"b", "x"}, {"a", "2"}, {"old", ""}, {"c", "3"}, {"c", ""}} {
			var err error
			if op[1] == "" {
				err = w.Delete([]byte(op[0]))
			} else {
				err = w.Set([]byte(op[0]), []byte(op[1]))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "2", "b": "x", "keep": "2"}
	if got := dump(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after Load: %v, want %v", got, want)
	}
	boom := errors.New("boom")
	if err := l.Load(ctx, func(w Writer) error {
		if err := w.Set([]byte("z"), []byte("1")); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing Load: %v", err)
	}
	if err := l.Load(ctx, func(w Writer) error { return w.Set([]byte(markerKey), nil) }); !errors.Is(err, ErrReservedKey) {
		t.Fatalf("reserved key: %v", err)
	}
	if got := dump(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after failed Loads: %v, want %v", got, want)
	}
}

// TestLoadBatchRoom: a Load a little larger than the last one fits in the
// batch it starts with; its buffer is not doubled (and copied) as it fills.
func TestLoadBatchRoom(t *testing.T) {
	tests := []struct {
		name        string
		first, next int // rows
	}{
		{"same size", 20000, 20000},
		{"5% larger", 20000, 21000},
		{"20% larger", 20000, 24000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenPebble(t.TempDir(), PebbleOptions{Sync: SyncNever, CacheMB: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			l := s.(Loader)
			load := func(n int, base int) (startCap, endCap int) {
				err := l.Load(t.Context(), func(w Writer) error {
					b := w.(pebbleWriter).b
					startCap = cap(b.Repr())
					for i := range n {
						if err := w.Set(fmt.Appendf(nil, "k%08d", base+i), make([]byte, 40)); err != nil {
							return err
						}
					}
					endCap = cap(b.Repr())
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return startCap, endCap
			}
			load(tt.first, 0)
			start, end := load(tt.next, tt.first)
			if end != start {
				t.Errorf("batch buffer grew from %d to %d bytes", start, end)
			}
		})
	}
}
