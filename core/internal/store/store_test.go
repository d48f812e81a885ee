package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// dump returns every key/value of s.
func dump(t *testing.T, s Store) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := s.View(context.Background(), func(tx Tx) error {
		return tx.Scan(nil, nil, func(k, v []byte) bool { m[string(k)] = string(v); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func set(t *testing.T, s Store, kv ...string) {
	t.Helper()
	err := s.Update(context.Background(), func(tx RWTx) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<del>" {
				if err := tx.Delete([]byte(kv[i])); err != nil {
					return err
				}
				continue
			}
			if err := tx.Set([]byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStoreSemantics(t *testing.T) {
	ctx := context.Background()
	engines := append([]engineCase{{"memory", func(testing.TB, string) Store { s, _ := OpenBunt(":memory:", BuntOptions{}); return s }}}, diskEngines...)
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t, t.TempDir())
			defer s.Close()
			bin := "\x00\r\n*1\r\n$3\xff"
			set(t, s, "a1", "x", "a2", bin, "b1", "y", "a3", "z")
			// Get, binary safety, ErrNotFound.
			err := s.View(ctx, func(tx Tx) error {
				v, err := tx.Get([]byte("a2"))
				if err != nil || string(v) != bin {
					t.Errorf("get a2 = %q, %v", v, err)
				}
				if _, err := tx.Get([]byte("zz")); !errors.Is(err, ErrNotFound) {
					t.Errorf("missing key err = %v", err)
				}
				var keys []string
				_ = tx.Scan([]byte("a"), []byte("a2"), func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
				if want := []string{"a2", "a3"}; !reflect.DeepEqual(keys, want) {
					t.Errorf("scan = %v, want %v", keys, want)
				}
				keys = nil
				_ = tx.Scan([]byte("a"), nil, func(k, _ []byte) bool { keys = append(keys, string(k)); return len(keys) < 2 })
				if want := []string{"a1", "a2"}; !reflect.DeepEqual(keys, want) {
					t.Errorf("scan with stop = %v, want %v", keys, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Rollback on error.
			boom := errors.New("boom")
			err = s.Update(ctx, func(tx RWTx) error {
				_ = tx.Set([]byte("a1"), []byte("changed"))
				_ = tx.Delete([]byte("b1"))
				if v, _ := tx.Get([]byte("a1")); string(v) != "changed" {
					t.Errorf("read-your-writes failed: %q", v)
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("update err = %v", err)
			}
			if got := dump(t, s); got["a1"] != "x" || got["b1"] != "y" {
				t.Errorf("rollback failed: %v", got)
			}
			set(t, s, "b1", "<del>", "nope", "<del>")
			if got := dump(t, s); len(got) != 3 {
				t.Errorf("after delete: %v", got)
			}
			if err := s.Update(ctx, func(tx RWTx) error { return tx.Set([]byte(markerKey), nil) }); !errors.Is(err, ErrReservedKey) {
				t.Errorf("reserved key err = %v", err)
			}
			if err := s.Update(ctx, func(tx RWTx) error { return tx.Delete([]byte(markerKey)) }); !errors.Is(err, ErrReservedKey) {
				t.Errorf("reserved key delete err = %v", err)
			}
			err = s.View(ctx, func(tx Tx) error {
				if _, err := tx.Get([]byte(markerKey)); !errors.Is(err, ErrNotFound) {
					t.Errorf("get of the reserved key: %v", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Scan bounds: a from beyond the prefix, a prefix of 0xff bytes.
			set(t, s, "\xff\xff", "top")
			err = s.View(ctx, func(tx Tx) error {
				n := 0
				_ = tx.Scan([]byte("a"), []byte("b"), func(k, _ []byte) bool { n++; return true })
				if n != 0 {
					t.Errorf("scan from past the prefix saw %d keys", n)
				}
				var keys []string
				_ = tx.Scan([]byte("\xff"), nil, func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
				if want := []string{"\xff\xff"}; !reflect.DeepEqual(keys, want) {
					t.Errorf("scan of 0xff = %q, want %q (the reserved key must not show)", keys, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBuntTornTail simulates a crash at every byte of the last commits: the
// reopened store must hold exactly the state of some complete commit prefix.
func TestBuntTornTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	s, err := OpenBunt(path, BuntOptions{Sync: SyncAlways, CompactOnOpenMinSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	var states []map[string]string // state after each commit
	var sizes []int64
	states = append(states, map[string]string{})
	sizes = append(sizes, 0)
	for i := 0; i < 4; i++ {
		kv := []string{fmt.Sprintf("k%d", i), "v\r\n" + fmt.Sprint(i), fmt.Sprintf("m%d", i), "w", "k0", fmt.Sprint("upd", i)}
		if i == 3 {
			kv = append(kv, "m1", "<del>")
		}
		set(t, s, kv...)
		states = append(states, dump(t, s))
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for cut := int64(0); cut <= int64(len(full)); cut++ {
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		want := 0
		for i, sz := range sizes {
			if sz <= cut {
				want = i
			}
		}
		s, err := OpenBunt(path, BuntOptions{CompactOnOpenMinSize: -1})
		if err != nil {
			t.Fatalf("cut %d: open: %v", cut, err)
		}
		got := dump(t, s)
		_ = s.Close()
		if !reflect.DeepEqual(got, states[want]) {
			t.Fatalf("cut %d: state %v, want commit %d %v", cut, got, want, states[want])
		}
		if fi, _ := os.Stat(path); fi.Size() != sizes[want] {
			t.Fatalf("cut %d: file not truncated to %d (is %d)", cut, sizes[want], fi.Size())
		}
	}
}

func TestBuntCompactOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := OpenBunt(path, BuntOptions{Sync: SyncNever, CompactOnOpenMinSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		set(t, s, "same", fmt.Sprint(i), fmt.Sprint("k", i%5), "x")
	}
	want := dump(t, s)
	_ = s.Close()
	before, _ := os.Stat(path)
	s, err = OpenBunt(path, BuntOptions{CompactOnOpenMinSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "after", "1")
	want["after"] = "1"
	_ = s.Close()
	after, _ := os.Stat(path)
	if after.Size() >= before.Size() {
		t.Errorf("compaction did not shrink: %d -> %d", before.Size(), after.Size())
	}
	// The compacted file must still pass group recovery intact.
	s, err = OpenBunt(path, BuntOptions{CompactOnOpenMinSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := dump(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("after compaction: %v, want %v", got, want)
	}
}

func FuzzScanGroups(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\nb\r\n"))
	f.Add([]byte("*3\r\n$3\r\nset\r\n$14\r\n\xff\xffamber/commit\r\n$1\r\n1\r\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := scanGroups(bytesReader(data))
		if err == nil && (n < 0 || n > int64(len(data))) {
			t.Fatalf("offset %d out of range", n)
		}
	})
}
