package store

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tidwall/buntdb"
)

// TestBufferedWrites runs random transactions (sets, deletes, write
// then delete, reads and scans in the middle) against a model. After every
// commit the store must equal the model, and on reopen the AOF must be
// complete groups only (buntdb): recoverAOF keeps the whole file, which
// proves each marker counted exactly the records its commit wrote.
func TestBufferedWrites(t *testing.T) {
	ctx := context.Background()
	for _, e := range diskEngines {
		for _, tc := range []struct {
			name     string
			scanRate int // one Scan per scanRate operations (0: never)
		}{
			{"no-scan", 0},
			{"scan-mid-tx", 7},
		} {
			t.Run(e.name+"/"+tc.name, func(t *testing.T) { testBufferedWrites(t, ctx, e, tc.scanRate) })
		}
	}
}

func testBufferedWrites(t *testing.T, ctx context.Context, e engineCase, scanRate int) {
	dir := t.TempDir()
	s := e.open(t, dir)
	r := rand.New(rand.NewSource(3))
	model := map[string]string{}
	key := func() string { return fmt.Sprintf("k%02d", r.Intn(40)) }
	for commit := 0; commit < 60; commit++ {
		next := make(map[string]string, len(model))
		for k, v := range model {
			next[k] = v
		}
		err := s.Update(ctx, func(tx RWTx) error {
			for op := 0; op < 1+r.Intn(30); op++ {
				k := key()
				_, present := next[k]
				switch n := r.Intn(10); {
				case n == 0 && !present:
					// The key is absent as the transaction sees
					// it: the SetFresh contract.
					v := fmt.Sprintf("f%d.%d", commit, op)
					if err := tx.(FreshSetter).SetFresh([]byte(k), []byte(v)); err != nil {
						return err
					}
					next[k] = v
				case n < 5:
					v := fmt.Sprintf("v%d.%d", commit, op)
					if err := tx.Set([]byte(k), []byte(v)); err != nil {
						return err
					}
					next[k] = v
				case n < 8:
					if err := tx.Delete([]byte(k)); err != nil {
						return err
					}
					delete(next, k)
				default:
					got, err := tx.Get([]byte(k))
					if want, ok := next[k]; ok != (err == nil) || string(got) != want {
						t.Errorf("commit %d: get %s = %q, %v; want %q", commit, k, got, err, want)
					}
				}
				if scanRate > 0 && op%scanRate == 0 {
					seen := map[string]string{}
					if err := tx.Scan([]byte("k"), nil, func(k, v []byte) bool { seen[string(k)] = string(v); return true }); err != nil {
						return err
					}
					if !reflect.DeepEqual(seen, next) && !(len(seen) == 0 && len(next) == 0) {
						t.Errorf("commit %d: mid-tx scan = %v, want %v", commit, seen, next)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		model = next
		if got := dump(t, s); !reflect.DeepEqual(got, model) && !(len(got) == 0 && len(model) == 0) {
			t.Fatalf("commit %d: store = %v, want %v", commit, got, model)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if e.name == EngineBunt {
		path := Path(dir, EngineBunt)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		size, err := recoverAOF(path)
		if err != nil || size != fi.Size() {
			t.Fatalf("recoverAOF = %d, %v; file is %d bytes (a marker count is wrong)", size, err, fi.Size())
		}
	}
	s = e.open(t, dir)
	defer s.Close()
	if got := dump(t, s); !reflect.DeepEqual(got, model) && !(len(got) == 0 && len(model) == 0) {
		t.Fatalf("reopened store = %v, want %v", got, model)
	}
}

// TestPresizeTxMaps pins that presizeTxMaps still finds buntdb's
// per-transaction maps (an upgrade that renames them would silently lose
// the optimisation) and that a presized transaction still commits.
func TestPresizeTxMaps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := OpenBunt(path, BuntOptions{Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.(*bunt).db.Update(func(tx *buntdb.Tx) error {
		if !presizeTxMaps(tx, 1000) {
			t.Error("presizeTxMaps found no maps to presize in buntdb's write context")
		}
		_, _, err := tx.Set("a", "b", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(t, s); got["a"] != "b" {
		t.Fatalf("store = %v", got)
	}
}
