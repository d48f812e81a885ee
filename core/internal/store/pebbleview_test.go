package store

import (
	"context"
	"errors"
	"testing"
)

// TestPebbleViewOneState: every read of a pebble View, whichever comes
// first (a Scan, which takes no snapshot, or a Get), nested in a Scan's fn
// or not, sees the state the View started at, while an Update commits in
// its middle.
func TestPebbleViewOneState(t *testing.T) {
	ctx := context.Background()
	s, err := OpenPebble(t.TempDir(), PebbleOptions{Sync: SyncNever, CacheMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	round := 0
	for _, first := range []string{"scan", "get"} {
		t.Run(first, func(t *testing.T) {
			round++
			old, now := string(rune('a'+round)), string(rune('a'+round+1))
			set(t, s, "a1", old, "b1", old, "c1", old, "a2", "<del>")
			check := func(tx Tx, when string) {
				t.Helper()
				if v, err := tx.Get([]byte("c1")); err != nil || string(v) != old {
					t.Errorf("%s: get c1 = %q, %v; want %q", when, v, err, old)
				}
				if _, err := tx.Get([]byte("a2")); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: get a2 (added later): %v", when, err)
				}
				var got []string
				if err := tx.Scan([]byte("b"), nil, func(k, v []byte) bool { got = append(got, string(k)+"="+string(v)); return true }); err != nil {
					t.Errorf("%s: scan b: %v", when, err)
				}
				if len(got) != 1 || got[0] != "b1="+old {
					t.Errorf("%s: scan b = %v", when, got)
				}
			}
			err := s.View(ctx, func(tx Tx) error {
				if first == "get" {
					check(tx, "first")
				}
				var keys []string
				err := tx.Scan([]byte("a"), nil, func(k, v []byte) bool {
					keys = append(keys, string(k)+"="+string(v))
					check(tx, "inside a scan")
					set(t, s, "a1", now, "b1", now, "c1", now, "a2", now)
					check(tx, "inside a scan, after a commit")
					return true
				})
				if err != nil || len(keys) != 1 || keys[0] != "a1="+old {
					t.Errorf("scan a = %v, %v", keys, err)
				}
				check(tx, "after a commit")
				keys = nil
				_ = tx.Scan([]byte("a"), nil, func(k, v []byte) bool { keys = append(keys, string(k)+"="+string(v)); return true })
				if len(keys) != 1 || keys[0] != "a1="+old {
					t.Errorf("scan a after a commit = %v", keys)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(t, s); got["a2"] != now || got["c1"] != now {
				t.Errorf("after the View: %v", got)
			}
		})
	}
}
