package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// PebbleOptions configures OpenPebble. The zero value is usable.
type PebbleOptions struct {
	Sync SyncPolicy
	// CacheMB is the memory budget (cache_mb) the engine sizes its block
	// cache and memtables from (see PlanCache); 0 means DefaultCacheMB.
	CacheMB int
	// MaxOpenFiles bounds the files pebble keeps open, its table cache
	// included; 0 means PebbleMaxOpenFiles, and less than
	// PebbleMinOpenFiles is raised to it.
	MaxOpenFiles int
	// Logger receives pebble's own messages (info at debug level); nil
	// discards them.
	Logger *slog.Logger
	// FS is the file system (tests); nil is the operating system's.
	FS vfs.FS
	// BulkMinBytes is the size estimate from which a BulkLoad ingests
	// sorted tables instead of committing a batch; 0 means
	// DefaultBulkMinBytes, less than 0 never.
	BulkMinBytes int64
	// noCompactions turns automatic compactions off (tests that need an
	// L0 backlog).
	noCompactions bool
}

// OpenPebble opens (creating if needed) a pebble database in the directory
// dir. Every Update and Load is one pebble batch, committed atomically
// through the write-ahead log, and every BulkLoad from the bulk threshold
// one ingestion of tables, atomic and synced (after the log): after a
// crash the database holds a prefix of the commits, never part of one.
func OpenPebble(dir string, opts PebbleOptions) (Store, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	plan := PlanCache(EnginePebble, opts.CacheMB)
	cache := pebble.NewCache(plan.BlockCache)
	defer cache.Unref()
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	s := &pebbleStore{sync: opts.Sync, log: logger, plan: plan, stop: make(chan struct{}), bulkMin: opts.BulkMinBytes}
	switch {
	case s.bulkMin == 0:
		s.bulkMin = DefaultBulkMinBytes
	case s.bulkMin < 0:
		s.bulkMin = 1<<63 - 1
	}
	dfs := &faultFS{FS: fs, fail: s.fail}
	s.fs = dfs
	sched := newGatedScheduler()
	openFiles := opts.MaxOpenFiles
	if openFiles <= 0 {
		openFiles = PebbleMaxOpenFiles
	}
	openFiles = max(openFiles, PebbleMinOpenFiles)
	po := &pebble.Options{
		FS:                          dfs,
		Cache:                       cache,
		MemTableSize:                uint64(plan.MemTable),
		MemTableStopWritesThreshold: plan.MemTables,
		// Initial sync writes large batches: let L0 grow well past the
		// compaction trigger before stalling writes, so compactions catch
		// up in the background instead of stopping the commit.
		L0CompactionThreshold: 4,
		L0StopWritesThreshold: l0StopSublevels,
		LBaseMaxBytes:         64 << 20,
		CompactionConcurrencyRange: func() (int, int) {
			return 1, min(max(runtime.NumCPU()/2, 2), 4)
		},
		MaxOpenFiles:       openFiles,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{logger},
		EventListener: &pebble.EventListener{
			BackgroundError: func(err error) { logger.Error("pebble background error", "err", err) },
			WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
				logger.Info("pebble write stall", "reason", info.Reason)
			},
			WriteStallEnd: func() { logger.Info("pebble write stall ended") },
			DiskSlow: func(info pebble.DiskSlowInfo) {
				logger.Warn("pebble: slow disk", "path", info.Path, "op", info.OpType.String(), "duration", info.Duration)
			},
		},
	}
	// Point lookups (outpoints when spending, state, headers) go through
	// bloom filters on every level, L0 included; prefix scans do not use
	// them. Keys are mostly hashes, values mostly txids: only the bottom
	// levels, where nearly all the data ends up, use zstd.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].BlockSize = 4 << 10
	}
	po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionBalanced })
	// No compaction inside Open (it would wait for it): see gatedScheduler.
	po.Experimental.CompactionScheduler = sched
	po.DisableAutomaticCompactions = opts.noCompactions
	po.EnsureDefaults()
	db, err := pebble.Open(dir, po)
	if err != nil {
		sched.Unregister()
		return nil, fmt.Errorf("store: open pebble %s: %w", dir, err)
	}
	if s.bulkDir, err = resetBulkDir(dfs, dir); err != nil {
		_ = db.Close()
		return nil, err
	}
	// Bulk loads' tables are built as a flush builds L0's.
	s.writerOpts = po.MakeWriterOptions(0, db.TableFormat())
	sched.release()
	s.db = db
	if s.sync == SyncEverySecond {
		s.done.Add(1)
		go s.syncLoop(time.Second)
	}
	return s, nil
}

// PebbleMaxOpenFiles and PebbleMinOpenFiles bound the files pebble keeps
// open (its table cache and logs), sized by OpenFiles from the open-file
// limit: the file descriptors amberd reserves for the store besides its
// client sessions. The minimum is ElectrumX's share for its database
// (250 of its reserve of 350).
const (
	PebbleMaxOpenFiles = 1000
	PebbleMinOpenFiles = 250
)

// syncBatchBytes: with db_sync everysecond, a batch at least this large
// (the initial sync's batches, a full mainnet block) is fsynced at commit;
// the cost is small beside writing it, and a disk that cannot take it
// fails that commit rather than a later one.
const syncBatchBytes = 64 << 10

type pebbleStore struct {
	db   *pebble.DB
	sync SyncPolicy
	log  *slog.Logger
	plan CachePlan
	// mu serialises Updates; spare is the write buffer they reuse.
	mu    sync.Mutex
	spare writeBuffer
	// loadSize is the size of the last Load's batch: the next one starts
	// with room for as much (the initial sync's batches are alike), so
	// that filling it does not copy it over and over as it doubles.
	loadSize int
	// Bulk loads (pebblebulk.go): the size from which they ingest
	// tables, the directory and options of those tables, and the last
	// table's number.
	bulkMin    int64
	bulkDir    string
	writerOpts sstable.WriterOptions
	bulkSeq    int
	bulkLogged bool
	fs         vfs.FS
	// failed holds the first write error of the disk (full disk, EIO):
	// from then on Updates fail with it. poisoned is set when pebble
	// itself panicked on it; the DB is then abandoned, not closed.
	failed   atomic.Pointer[error]
	poisoned atomic.Bool
	dirty    atomic.Bool
	// unflushed is set by a batch's commit: the memtables hold writes.
	unflushed atomic.Bool
	stop      chan struct{}
	done      sync.WaitGroup
	// life guards closed: Views hold it shared, so that Close waits for
	// them and a View after Close fails instead of reaching a closed DB.
	life   sync.RWMutex
	closed bool
}

// fail records the first disk write error.
func (s *pebbleStore) fail(err error) {
	if s.failed.CompareAndSwap(nil, &err) {
		s.log.Error("store: disk write failed; no further commits", "err", err)
	}
}

func (s *pebbleStore) failure() error {
	if p := s.failed.Load(); p != nil {
		return fmt.Errorf("store: pebble stopped after a disk write error: %w", *p)
	}
	return nil
}

// guard runs a pebble write (commit, WAL sync). Pebble treats a failed
// commit as fatal (Logger.Fatalf, see pebbleLogger) and panics when a
// commit meets an already failed WAL writer; both are turned into the
// recorded disk error. After the second kind pebble's commit pipeline
// stays locked: the store is poisoned and Close leaves the DB alone.
func (s *pebbleStore) guard(fn func() error) error { return s.guarded(fn, false) }

// guarded is guard; with poisonAll any panic poisons the store (an
// ingestion: pebble's fatal paths inside it can leave its commit pipeline
// locked, see BulkLoad).
func (s *pebbleStore) guarded(fn func() error, poisonAll bool) (err error) {
	if err := s.failure(); err != nil {
		return err
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if f, ok := r.(pebbleFatal); ok && !poisonAll {
			// A failed commit: pebble's commit pipeline was left
			// unlocked, the DB can still be closed.
			s.fail(errors.New(string(f)))
		} else {
			s.poisoned.Store(true)
			s.log.Error("store: pebble panicked", "panic", r, "stack", string(debug.Stack()))
			if e, ok := r.(error); ok {
				s.fail(e)
			} else {
				s.fail(fmt.Errorf("pebble: %v", r))
			}
		}
		err = s.failure()
	}()
	if err := fn(); err != nil {
		if f := s.failure(); f != nil {
			return f
		}
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// syncLoop fsyncs the write-ahead log every period while there were
// commits since the last sync (db_sync everysecond).
func (s *pebbleStore) syncLoop(period time.Duration) {
	defer s.done.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if !s.dirty.Swap(false) {
			continue
		}
		if err := s.guard(func() error { return s.db.LogData(nil, pebble.Sync) }); err != nil {
			s.log.Error("store: periodic WAL sync", "err", err)
			return
		}
	}
}

// SyncBatchBytes implements BatchSizer.
//
// With bulk loads on, a sync batch is ingested as tables and never meets
// the memtables: it may take a quarter of cache_mb's sync share
// (FlushBytes/4: the batch being built, the one being committed, the
// store's copy of it and the index's cache of recent outputs, a quarter
// each). Larger batches write fewer rows (outputs created and spent
// within one are never written) and ingest fewer, larger tables.
//
// Without them, a batch of at least half a memtable is queued beside the
// memtables as a flushable batch, and pebble stops all writes while
// MemTables memtables' worth is queued for flushing: batches several
// memtables large stall every commit until the previous one is flushed,
// so commit and flush run in turn instead of together. The index's
// estimate of a batch is about 1.4 times its size in pebble (measured),
// so a budget of two memtables gives batches of about 1.4 memtables:
// flushable batches (no skiplist inserts), two of which queue below
// MemTables (4) while a third is flushed.
func (s *pebbleStore) SyncBatchBytes() int64 {
	// A batch below the bulk threshold still goes through Load: the
	// large budget only when every such batch is below two memtables.
	if b := s.plan.FlushBytes / 4; b >= s.bulkMin && s.bulkMin <= 2*s.plan.MemTable {
		return b
	}
	return 2 * s.plan.MemTable
}

func (s *pebbleStore) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return ErrClosed
	}
	v := pebbleView{db: s.db}
	err := fn(&v)
	if cerr := v.close(); err == nil {
		err = cerr
	}
	return err
}

// lockWritable takes s.mu for a write (the caller unlocks it), or returns
// why no write may start: ctx done, the store closed or failed.
func (s *pebbleStore) lockWritable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if err := s.failure(); err != nil {
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *pebbleStore) Update(ctx context.Context, fn func(RWTx) error) error {
	if err := s.lockWritable(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	t := &pebbleRWTx{db: s.db, writeBuffer: s.spare}
	s.spare = writeBuffer{}
	defer func() {
		if t.ib != nil {
			_ = t.ib.Close()
		}
		s.spare = t.reuse()
	}()
	if err := fn(t); err != nil {
		return err
	}
	b := t.ib
	if b == nil {
		ents := t.sorted()
		if len(ents) == 0 {
			return nil
		}
		size := 0
		for i := range ents {
			size += len(ents[i].key) + len(ents[i].val) + 8
		}
		b = s.db.NewBatchWithSize(size)
		defer b.Close()
		for i := range ents {
			p := &ents[i]
			var err error
			if p.del {
				err = b.Delete([]byte(p.key), nil)
			} else {
				err = b.Set([]byte(p.key), []byte(p.val), nil)
			}
			if err != nil {
				return fmt.Errorf("store: batch: %w", err)
			}
		}
		t.reset()
	} else if t.ib.Empty() {
		return nil
	}
	return s.commit(b)
}

// Load implements Loader: fn writes straight into one pebble batch, with
// none of Update's write buffer (a map of every key, then a sort of it),
// which would only repeat what pebble's batch does itself.
func (s *pebbleStore) Load(ctx context.Context, fn func(Writer) error) error {
	if err := s.lockWritable(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	// A quarter more than the last one: a batch that outgrows its
	// buffer by one byte doubles it (pebble's Batch.grow), copying it
	// into fresh memory, twice the size, that the flushable batch then
	// holds. The initial sync's batches vary by a few percent.
	b := s.db.NewBatchWithSize(s.loadSize + s.loadSize/4)
	defer b.Close()
	if err := fn(pebbleWriter{b}); err != nil {
		return err
	}
	s.loadSize = len(b.Repr())
	if b.Empty() {
		return nil
	}
	return s.commit(b)
}

// commit commits b under the sync policy.
func (s *pebbleStore) commit(b *pebble.Batch) error {
	opts := pebble.NoSync
	if s.sync == SyncAlways || (s.sync == SyncEverySecond && len(b.Repr()) >= syncBatchBytes) {
		opts = pebble.Sync
	}
	if err := s.guard(func() error { return b.Commit(opts) }); err != nil {
		return err
	}
	s.dirty.Store(true)
	s.unflushed.Store(true)
	return nil
}

// pebbleWriter is a Loader's Writer: a pebble batch that refuses the
// reserved key.
type pebbleWriter struct{ b *pebble.Batch }

func (w pebbleWriter) Set(key, value []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	return w.b.Set(key, value, nil)
}

func (w pebbleWriter) Delete(key []byte) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	return w.b.Delete(key, nil)
}

func (s *pebbleStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.stop)
	s.done.Wait()
	if s.poisoned.Load() {
		// Pebble's commit pipeline is wedged after its panic; closing
		// would block. The process is expected to exit.
		return s.failure()
	}
	// Flush the memtables first: pebble's Close leaves them in the
	// write-ahead log, and the next Open would replay (and flush) them,
	// tens of MB after an initial sync, before amberd could answer.
	// After a disk error there is nothing to gain and the flush would
	// fail again; with no batch committed since the store opened (an
	// initial sync of bulk loads only) there is nothing to flush, and a
	// flush would wait for the compactions that a full L0 needs first.
	if s.failed.Load() == nil && s.unflushed.Load() {
		if err := s.guard(s.db.Flush); err != nil {
			s.log.Warn("store: flush before close", "err", err)
		}
	}
	s.logTotals()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close pebble: %w", err)
	}
	return s.failure()
}
