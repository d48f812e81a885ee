package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// Engine names (the values of the db_engine setting).
const (
	EnginePebble = "pebble"
	EngineBunt   = "buntdb"
)

// Engines lists the engine names, the default first.
var Engines = []string{EnginePebble, EngineBunt}

// DefaultCacheMB is the cache_mb default (ElectrumX's CACHE_MB default).
const DefaultCacheMB = 1200

// ErrOtherEngine is returned by Open when the directory already holds an
// index written by the other engine.
var ErrOtherEngine = errors.New("store: the database directory holds an index of another engine")

// OpenFiles is how many file descriptors engine may keep open under the
// open-file limit nofile (0: unknown): what amberd must reserve for its
// store besides its client sessions and its own selfFiles (listeners,
// plugins, daemon connections). pebble's share is its table cache, not a
// need: it takes half of what selfFiles leaves (the other half is for
// sessions), at least PebbleMinOpenFiles and at most PebbleMaxOpenFiles.
// buntdb keeps one file.
func OpenFiles(engine string, nofile uint64, selfFiles int) int {
	if engine == EngineBunt {
		return 1
	}
	if nofile == 0 {
		return PebbleMaxOpenFiles
	}
	free := nofile - min(nofile, uint64(max(selfFiles, 0)))
	return int(min(max(free/2, PebbleMinOpenFiles), PebbleMaxOpenFiles))
}

// Options configures Open.
type Options struct {
	// Engine is EnginePebble ("" means pebble) or EngineBunt.
	Engine string
	Sync   SyncPolicy
	// CacheMB is cache_mb: see PlanCache. 0 means DefaultCacheMB.
	CacheMB int
	// MaxOpenFiles bounds the files pebble keeps open (OpenFiles); 0
	// means PebbleMaxOpenFiles.
	MaxOpenFiles int
	// BulkLoadKB is db_bulk_load_kb: pebble ingests bulk loads of at
	// least this many KB as sorted tables (see BulkLoad); 0 means
	// DefaultBulkMinBytes, less than 0 never.
	BulkLoadKB int
	Logger     *slog.Logger
}

// Path is where engine keeps its index under the database directory dir:
// a directory for pebble, one file for buntdb.
func Path(dir, engine string) string {
	if engine == EngineBunt {
		return filepath.Join(dir, "amber.db")
	}
	return filepath.Join(dir, "pebble")
}

// Open opens (creating if needed) the index store of opts.Engine under the
// database directory dir. If dir holds an index of the other engine, Open
// fails with ErrOtherEngine and a message naming both engines and what to
// do; it creates and overwrites nothing then.
func Open(ctx context.Context, dir string, opts Options) (Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	engine := opts.Engine
	if engine == "" {
		engine = EnginePebble
	}
	var other string
	switch engine {
	case EnginePebble:
		other = EngineBunt
	case EngineBunt:
		other = EnginePebble
	default:
		return nil, fmt.Errorf("store: unknown engine %q (want %s or %s)", engine, EnginePebble, EngineBunt)
	}
	if _, err := os.Stat(Path(dir, other)); err == nil {
		return nil, fmt.Errorf("%w: %s holds a %s index but db_engine is %s; set db_engine: %s (AMBER_DB_ENGINE=%s) "+
			"to keep using it, or move %s away to build a new %s index from scratch (a full initial sync)",
			ErrOtherEngine, Path(dir, other), other, engine, other, other, Path(dir, other), engine)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if engine == EngineBunt {
		return OpenBunt(Path(dir, engine), BuntOptions{Sync: opts.Sync})
	}
	bulk := int64(opts.BulkLoadKB) << 10
	if opts.BulkLoadKB < 0 {
		bulk = -1
	}
	return OpenPebble(Path(dir, engine), PebbleOptions{Sync: opts.Sync, CacheMB: opts.CacheMB,
		MaxOpenFiles: opts.MaxOpenFiles, BulkMinBytes: bulk, Logger: opts.Logger})
}

// CachePlan is how an engine divides cache_mb between its own caches and
// the index's sync batches.
type CachePlan struct {
	// BlockCache is pebble's block cache in bytes.
	BlockCache int64
	// MemTable is the size of one pebble memtable; MemTables is how many
	// may be held at once before writes stall.
	MemTable  int64
	MemTables int
	// FlushBytes is what remains of cache_mb for the writes the index
	// buffers during the initial sync before it commits them (the bound
	// of its flush: the batch being built and the one being committed
	// together).
	FlushBytes int64
}

// PlanCache divides cache_mb (0 means DefaultCacheMB) for engine. pebble
// takes a quarter for its block cache and a memtable of cache_mb/16
// (4 to 64 MiB, two of them counted) and leaves the rest, at least a
// quarter of cache_mb and at most 2 GiB, to the index's sync batches.
// buntdb holds the whole
// index in memory whatever cache_mb says; all of cache_mb goes to the sync
// batches.
func PlanCache(engine string, cacheMB int) CachePlan {
	if cacheMB <= 0 {
		cacheMB = DefaultCacheMB
	}
	total := int64(cacheMB) << 20
	if engine == EngineBunt {
		return CachePlan{FlushBytes: total}
	}
	mem := min(max(total/16, 4<<20), 64<<20)
	p := CachePlan{BlockCache: max(total/4, 8<<20), MemTable: mem, MemTables: 4}
	// A pebble batch holds at most 4 GiB; keep the sync's batches well
	// below it however large cache_mb is.
	p.FlushBytes = min(max(total-p.BlockCache-2*mem, total/4), 2<<30)
	return p
}
