package store

import (
	"testing"
)

// engineCase opens one engine's store in a database directory.
type engineCase struct {
	name string
	open func(t testing.TB, dir string) Store
}

// diskEngines are the engines with files, for the engine-neutral tests.
var diskEngines = []engineCase{
	{EnginePebble, func(t testing.TB, dir string) Store {
		t.Helper()
		s, err := OpenPebble(Path(dir, EnginePebble), PebbleOptions{Sync: SyncNever, CacheMB: 64})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{EngineBunt, func(t testing.TB, dir string) Store {
		t.Helper()
		s, err := OpenBunt(Path(dir, EngineBunt), BuntOptions{Sync: SyncNever, CompactOnOpenMinSize: -1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}
