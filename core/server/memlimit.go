package server

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/amber-electrum/amber/core/internal/store"
)

// memAboveCache is the bound on amberd's RSS beyond cache_mb that the
// limit aims at (issue #10: peak RSS under cache_mb + 300 MB).
const memAboveCache = 300 << 20

// memReserve is what the process holds outside the Go heap's limit and
// the engine's caches: the runtime, stacks, fragmentation, and the soft
// limit's overshoot while the collector catches up. Measured on the
// 1M-transaction sync at cache_mb 500: a 400 MiB limit peaked at 736 MiB
// of RSS beside 249 MiB of pebble caches, 87 MiB above both
// (docs/benchmarks.md, issue #10 follow-up 4; the sync's pebble batches
// have since stopped doubling, about 30 MB less). It was 150 MiB: the
// sync's live heap sits close to a 400 MiB limit, and the collector then
// ran about three times as often as at 450 MiB, the scavenger returning
// and faulting back memory in between (BenchmarkSyncForwardLarge: GC
// and scavenger CPU 2.0–2.8 s against 0.7–1.0 s per 300k txs).
const memReserve = 100 << 20

// memLimitFloor keeps a small cache_mb from starving the heap: below it
// the collector would run without end.
const memLimitFloor = 256 << 20

// goMemLimit is the soft limit of the Go heap that makes amberd's memory
// follow cache_mb (0: store.DefaultCacheMB), or 0 for none: cache_mb +
// memAboveCache, less memReserve and, when amberd is built with cgo
// (cgoAllocs), less pebble's block cache and memtables, which are then
// allocated outside the Go heap. Without a limit the garbage collector
// lets the heap grow to twice what is live, and during the initial sync
// live memory is hundreds of MB of batches: peak RSS was cache_mb + 750
// MB. The sync's batches are bounded by store.SyncBatchBytes (with bulk
// loads, a quarter of the sync share), so they fit well inside. buntdb keeps the whole
// index in the Go heap, far more than cache_mb on a large chain: a limit
// below the live heap would only make the collector run without end, so
// buntdb gets none.
func goMemLimit(engine string, cacheMB int, plan store.CachePlan, cgoAllocs bool) int64 {
	if engine == store.EngineBunt {
		return 0
	}
	if cacheMB <= 0 {
		cacheMB = store.DefaultCacheMB
	}
	limit := int64(cacheMB)<<20 + memAboveCache - memReserve
	if cgoAllocs {
		limit -= plan.BlockCache + int64(plan.MemTables)*plan.MemTable
	}
	return max(limit, memLimitFloor)
}

// setMemoryLimit applies goMemLimit unless the operator set GOMEMLIMIT,
// which the Go runtime has applied already and which wins.
func setMemoryLimit(log *slog.Logger, engine string, cacheMB int, plan store.CachePlan) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("Go memory limit from GOMEMLIMIT", "GOMEMLIMIT", v)
		return
	}
	limit := goMemLimit(engine, cacheMB, plan, cgoEnabled)
	if limit <= 0 {
		return
	}
	debug.SetMemoryLimit(limit)
	log.Info("Go memory limit set from cache_mb (soft; GOMEMLIMIT overrides)", "limit_mb", limit>>20)
}
