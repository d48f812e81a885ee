// Package storetest holds store helpers for tests only, so that the
// production store package exports nothing tests alone need.
package storetest

import (
	"fmt"

	"github.com/amber-electrum/amber/core/internal/store"
)

// OpenMemory returns an empty buntdb store held in memory only: nothing is
// written to disk, and everything is gone when it is closed.
func OpenMemory() store.Store {
	s, err := store.OpenBunt(":memory:", store.BuntOptions{})
	if err != nil {
		panic(fmt.Sprintf("storetest: in-memory buntdb: %v", err)) // cannot fail for :memory:
	}
	return s
}
