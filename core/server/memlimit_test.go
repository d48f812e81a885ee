package server

import (
	"testing"

	"github.com/amber-electrum/amber/core/internal/store"
)

func TestGoMemLimit(t *testing.T) {
	p500 := store.PlanCache(store.EnginePebble, 500)
	caches := p500.BlockCache + int64(p500.MemTables)*p500.MemTable
	budget := int64(500)<<20 + memAboveCache - memReserve
	tests := []struct {
		name    string
		engine  string
		cacheMB int
		plan    store.CachePlan
		cgo     bool
		want    int64
	}{
		{"pebble with cgo: its caches are outside the Go heap", store.EnginePebble, 500, p500, true, budget - caches},
		{"pebble without cgo: its caches are Go heap too", store.EnginePebble, 500, p500, false, budget},
		{"default engine is pebble", "", 500, p500, true, budget - caches},
		{"cache_mb 0 is the default", store.EnginePebble, 0, store.PlanCache(store.EnginePebble, 0), false,
			int64(store.DefaultCacheMB)<<20 + memAboveCache - memReserve},
		{"a tiny cache_mb keeps the floor", store.EnginePebble, 16, store.PlanCache(store.EnginePebble, 16), true, memLimitFloor},
		{"buntdb: none", store.EngineBunt, 500, store.PlanCache(store.EngineBunt, 500), true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := goMemLimit(tc.engine, tc.cacheMB, tc.plan, tc.cgo); got != tc.want {
				t.Errorf("goMemLimit = %d MiB, want %d MiB", got>>20, tc.want>>20)
			}
		})
	}
	// What the limit is for: for every cache_mb the Go heap's limit, the
	// engine's caches and the reserve add up to cache_mb + 300 MB, and
	// the heap keeps room for the sync's batches (two in flight).
	for _, mb := range []int{300, 500, 1000, 2000, 8000} {
		p := store.PlanCache(store.EnginePebble, mb)
		limit := goMemLimit(store.EnginePebble, mb, p, true)
		if sum := limit + p.BlockCache + int64(p.MemTables)*p.MemTable + memReserve; sum > int64(mb)<<20+memAboveCache {
			t.Errorf("cache_mb %d: limit, caches and reserve are %d MiB, above cache_mb + 300", mb, sum>>20)
		}
		if batches := 2 * 2 * p.MemTable; limit < 2*batches {
			t.Errorf("cache_mb %d: limit %d MiB leaves no room for the sync's batches (%d MiB)", mb, limit>>20, batches>>20)
		}
	}
}
