package server

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/amber-electrum/amber/core/internal/store"
)

// memLimitSlack is what the Go heap may hold besides the initial sync's
// batches (store.CachePlan.FlushBytes): sessions, the mempool, blocks in
// flight from the daemon plugin, and garbage not yet collected. With the
// engine's own caches and the process's non-heap memory it keeps amberd
// near cache_mb + 300 MB.
const memLimitSlack = 224 << 20

// goMemLimit is the soft limit of the Go heap that makes amberd's memory
// follow cache_mb, or 0 for none. Without it the garbage collector lets
// the heap grow to twice what is live, and during the initial sync live
// memory is hundreds of MB of batches: peak RSS was cache_mb + 400 MB and
// more. pebble's block cache and memtables are allocated outside the Go
// heap when amberd is built with cgo (cgoAllocs), inside it otherwise.
// buntdb keeps the whole index in the Go heap, far more than cache_mb on
// a large chain: a limit below the live heap would only make the
// collector run without end, so buntdb gets none.
func goMemLimit(engine string, plan store.CachePlan, cgoAllocs bool) int64 {
	if engine == store.EngineBunt {
		return 0
	}
	limit := plan.FlushBytes + memLimitSlack
	if !cgoAllocs {
		limit += plan.BlockCache + int64(plan.MemTables)*plan.MemTable
	}
	return limit
}

// setMemoryLimit applies goMemLimit unless the operator set GOMEMLIMIT,
// which the Go runtime has applied already and which wins.
func setMemoryLimit(log *slog.Logger, engine string, plan store.CachePlan) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("Go memory limit from GOMEMLIMIT", "GOMEMLIMIT", v)
		return
	}
	limit := goMemLimit(engine, plan, cgoEnabled)
	if limit <= 0 {
		return
	}
	debug.SetMemoryLimit(limit)
	log.Info("Go memory limit set from cache_mb (soft; GOMEMLIMIT overrides)", "limit_mb", limit>>20)
}
