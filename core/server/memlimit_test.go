package server

import (
	"testing"

	"github.com/amber-electrum/amber/core/internal/store"
)

func TestGoMemLimit(t *testing.T) {
	p500 := store.PlanCache(store.EnginePebble, 500)
	tests := []struct {
		name   string
		engine string
		plan   store.CachePlan
		cgo    bool
		want   int64
	}{
		{"pebble with cgo: batches plus slack", store.EnginePebble, p500, true, p500.FlushBytes + memLimitSlack},
		{"pebble without cgo: its caches are Go heap too", store.EnginePebble, p500, false,
			p500.FlushBytes + memLimitSlack + p500.BlockCache + int64(p500.MemTables)*p500.MemTable},
		{"default engine is pebble", "", p500, true, p500.FlushBytes + memLimitSlack},
		{"buntdb: none", store.EngineBunt, store.PlanCache(store.EngineBunt, 500), true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := goMemLimit(tc.engine, tc.plan, tc.cgo); got != tc.want {
				t.Errorf("goMemLimit = %d MiB, want %d MiB", got>>20, tc.want>>20)
			}
		})
	}
	// What the limit is for: at cache_mb 500 the Go heap may hold the
	// sync's batches and the slack, and with the C-side caches amberd
	// stays under cache_mb + 300 MB.
	c := goMemLimit(store.EnginePebble, p500, true) + p500.BlockCache + 2*p500.MemTable
	if c > (500+300)<<20 {
		t.Errorf("limit plus pebble's caches is %d MiB, above cache_mb + 300", c>>20)
	}
}
