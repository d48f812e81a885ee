package storetest

import (
	"context"
	"os"
	"testing"

	"github.com/amber-electrum/amber/core/internal/store"
)

// TestOpenMemory: each store is empty, keeps what is written, is separate
// from the others, and leaves no file behind.
func TestOpenMemory(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	a, b := OpenMemory(), OpenMemory()
	defer a.Close()
	defer b.Close()
	if err := a.Update(ctx, func(tx store.RWTx) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := a.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get([]byte("k"))
		if err != nil || string(v) != "v" {
			t.Errorf("a: Get = %q, %v", v, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("k")); err != store.ErrNotFound {
			t.Errorf("b sees a's key: %v", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir("."); len(ents) != 0 {
		t.Errorf("files written: %v", ents)
	}
}
