package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// A bulk load writes its rows into sorted tables (sstables) under
// bulkDirName and ingests them into pebble in one step. Against a batch it
// saves the write-ahead log, the copy of every row into the batch, pebble's
// sort of the batch and the flush that turns it into an L0 table; and a
// table of one row family whose keys lie beyond every key pebble holds of
// it (rows keyed by height: blocks' txids, and undo records when there
// are enough of them to fill a table of their own) goes straight to the
// bottom level, never to be rewritten by a compaction. The ingestion is
// atomic and durable: the tables are synced before they are linked, and
// one MANIFEST edit adds them all (or, when they overlap a memtable, one
// synced log record, applied at that memtable's flush). Earlier commits
// still in the log's buffer are synced first, so after a crash pebble
// holds a prefix of the commits, whatever db_sync says.

// bulkDirName is the directory, inside pebble's, where a bulk load writes
// its tables before ingesting them. What a crash leaves there is removed
// at the next open.
const bulkDirName = "bulk-load"

// DefaultBulkMinBytes is the size estimate from which BulkLoad ingests
// tables rather than committing a batch: the initial sync's multi-block
// batches (while far from the tip the index holds a batch open until a
// quarter of its budget, or for two seconds), seldom one block's rows (a
// full Bitcoin block makes about 5 MB of them), whose tables would only
// add small L0 files.
const DefaultBulkMinBytes = 8 << 20

// bulkSplitBytes is how much a table holds before the next key prefix (its
// first byte: a row family) starts a new one. Keeping families apart lets
// a family keyed by height go to the bottom level on its own; a small
// family (headers, the state) shares the next family's table, so as not
// to leave many tiny tables there.
const bulkSplitBytes = 256 << 10

// l0StopSublevels is pebble's L0StopWritesThreshold: an ingestion is not
// held back by it as a memtable flush is, so a bulk load waits itself
// while L0 has that many sublevels (each bulk load adds one: its tables of
// hash-keyed rows overlap every older one).
const l0StopSublevels = 36

// BulkLoadLogLine is logged (info) at a store's first ingested bulk load.
const BulkLoadLogLine = "store: initial-sync batches are ingested as sorted tables"

// ErrUnsorted is returned by a BulkLoad whose writes are not in ascending
// key order.
var ErrUnsorted = errors.New("store: bulk load: keys out of order")

// BulkLoad implements BulkLoader: below the store's bulk threshold the
// writes go into one batch as Load's do; from it, into sorted tables
// ingested at the end.
func (s *pebbleStore) BulkLoad(ctx context.Context, size int64, fn func(Writer) error) error {
	if size < s.bulkMin {
		return s.Load(ctx, func(w Writer) error { return fn(&orderedWriter{w: w}) })
	}
	if err := s.lockWritable(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	w := newTableLoader(s)
	defer func() {
		w.abort() // on every path, a panic of fn included
		putArena(w.rows)
		w.remove()
	}()
	if err := fn(w); err != nil {
		return err
	}
	if err := w.finish(); err != nil {
		return err
	}
	if len(w.paths) == 0 {
		return nil
	}
	if err := s.waitL0(ctx); err != nil {
		return err
	}
	// Commits still in the write-ahead log's buffer go to the disk before
	// the ingestion does (see the top of this file).
	if s.dirty.Swap(false) {
		if err := s.guard(func() error { return s.db.LogData(nil, pebble.Sync) }); err != nil {
			return err
		}
	}
	// The ingestion is not cut short by ctx: like a batch's commit, once
	// it starts it completes or fails as a whole. A panic inside it poisons
	// the store: pebble's fatal paths there may leave its commit pipeline
	// locked (a write-ahead log error in an ingestion that overlaps a
	// memtable even ends the process, past any recover).
	var st pebble.IngestOperationStats
	if err := s.guarded(func() (err error) {
		st, err = s.db.IngestWithStats(context.WithoutCancel(ctx), w.paths)
		return err
	}, true); err != nil {
		return err
	}
	s.log.Debug("store: bulk load ingested", "tables", len(w.paths), "mb", st.Bytes>>20, "l0_mb", st.ApproxIngestedIntoL0Bytes>>20)
	if !s.bulkLogged {
		s.bulkLogged = true
		s.log.Info(BulkLoadLogLine, "tables", len(w.paths), "db_bulk_load_kb", s.bulkMin>>10)
	}
	return nil
}

// waitL0 waits while L0 has l0StopSublevels sublevels, for compactions to
// bring it down, as pebble holds writes back at a memtable flush.
func (s *pebbleStore) waitL0(ctx context.Context) error {
	var since time.Time
	for {
		n := s.db.Metrics().Levels[0].Sublevels
		if n < l0StopSublevels {
			if !since.IsZero() {
				s.log.Info("pebble write stall ended", "reason", "L0 sublevels", "waited", time.Since(since).Round(time.Millisecond))
			}
			return nil
		}
		if since.IsZero() {
			since = time.Now()
			s.log.Info("pebble write stall", "reason", "L0 sublevels", "sublevels", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if err := s.failure(); err != nil {
			return err
		}
	}
}

// tableLoader is a BulkLoad's Writer: it gathers the writes into the rows
// of the current table and hands each table's rows, once complete, to a
// goroutine that builds the table while the next one is gathered. A write
// of the same key as the last replaces it.
type tableLoader struct {
	s     *pebbleStore
	opts  sstable.WriterOptions
	paths []string
	// rows are the current table's rows (see appendRow); last is where
	// its last row starts, and lastKey that row's key (in rows, or in the
	// previous table's rows when rows is empty).
	rows    []byte
	last    int
	lastKey []byte
	family  byte
	// Tables being built: slots bounds them, wg waits for them, err
	// holds the first failure.
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

// bulkMaxTable is the most a table holds: a family larger than this
// is cut into several tables, built in parallel (and, in L0, compacted a
// part at a time).
const bulkMaxTable = 8 << 20

func newTableLoader(s *pebbleStore) *tableLoader {
	return &tableLoader{s: s, opts: s.writerOpts, rows: getArena(),
		slots: make(chan struct{}, min(max(runtime.GOMAXPROCS(0), 1), 4))}
}

// bulkArenaCap is the capacity of a table's rows buffer: a full table and
// the row that ends it.
const bulkArenaCap = bulkMaxTable + bulkMaxTable/4

// arenas are tables' rows buffers, reused: allocating each (zeroing it)
// and growing it by copies cost a tenth of a bulk load's CPU. Allocating
// them at full size for every table instead measured 5-10 % more CPU per
// transaction in BenchmarkSyncForwardLarge (3 alternated runs; unlike the
// index's sort buffers, which measured no gain and are not pooled).
var arenas sync.Pool

func getArena() []byte {
	if p, ok := arenas.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, bulkArenaCap)
}

// putArena returns b for reuse, unless a very large row made it grow.
func putArena(b []byte) {
	if cap(b) <= 2*bulkArenaCap {
		arenas.Put(&b)
	}
}

func (l *tableLoader) Set(key, value []byte) error { return l.put(key, value, false) }
func (l *tableLoader) Delete(key []byte) error     { return l.put(key, nil, true) }

func (l *tableLoader) put(key, value []byte, del bool) error {
	if string(key) == markerKey {
		return ErrReservedKey
	}
	if len(key) == 0 {
		return fmt.Errorf("store: bulk load: empty key")
	}
	if l.lastKey != nil {
		switch c := bytes.Compare(key, l.lastKey); {
		case c < 0:
			return fmt.Errorf("%w: %x after %x", ErrUnsorted, key, l.lastKey)
		case c == 0:
			// A table is handed on only when a new key arrives, so
			// the key's first write is still in rows.
			l.rows = l.rows[:l.last]
			l.appendRow(key, value, del)
			return nil
		}
	}
	if len(l.rows) > 0 && (len(l.rows) >= bulkMaxTable || (key[0] != l.family && len(l.rows) >= bulkSplitBytes)) {
		if err := l.build(); err != nil {
			return err
		}
	}
	l.family = key[0]
	l.appendRow(key, value, del)
	return nil
}

// appendRow appends a row to the current table's rows: a delete flag,
// then the key and the value, each after its length.
func (l *tableLoader) appendRow(key, value []byte, del bool) {
	l.last = len(l.rows)
	flag := byte(0)
	if del {
		flag = 1
	}
	b := append(l.rows, flag)
	b = binary.AppendUvarint(b, uint64(len(key)))
	k := len(b)
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	l.rows = append(b, value...)
	l.lastKey = l.rows[k : k+len(key)]
}

// build hands the current table's rows to a goroutine that writes the
// table, once fewer than slots are being written.
func (l *tableLoader) build() error {
	if err := l.failed(); err != nil {
		return err
	}
	s := l.s
	s.bulkSeq++
	path := s.fs.PathJoin(s.bulkDir, fmt.Sprintf("%06d.sst", s.bulkSeq))
	l.paths = append(l.paths, path)
	rows := l.rows
	l.rows = getArena()
	l.slots <- struct{}{}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer func() { <-l.slots }()
		err := writeTable(s.fs, path, l.opts, rows)
		putArena(rows)
		if err != nil {
			l.mu.Lock()
			if l.err == nil {
				l.err = err
			}
			l.mu.Unlock()
		}
	}()
	return nil
}

func (l *tableLoader) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// writeTable writes rows (see appendRow) as the table at path: written,
// synced and closed.
func writeTable(fs vfs.FS, path string, opts sstable.WriterOptions, rows []byte) error {
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("store: bulk load: %w", err)
	}
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), opts)
	for len(rows) > 0 && err == nil {
		del := rows[0] == 1
		n, k := binary.Uvarint(rows[1:])
		key := rows[1+k : 1+k+int(n)]
		rows = rows[1+k+int(n):]
		n, k = binary.Uvarint(rows)
		val := rows[k : k+int(n)]
		rows = rows[k+int(n):]
		if del {
			err = w.Delete(key)
		} else {
			err = w.Set(key, val)
		}
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: bulk load: table %s: %w", path, err)
	}
	return nil
}

// finish hands on the last table and waits for every table to be
// written.
func (l *tableLoader) finish() error {
	if len(l.rows) > 0 {
		if err := l.build(); err != nil {
			return err
		}
	}
	l.wg.Wait()
	return l.failed()
}

// abort waits for the tables being written, so that none is written
// after their paths are removed; after finish it has nothing to wait for.
func (l *tableLoader) abort() { l.wg.Wait() }

// remove deletes the tables' paths: after an ingestion pebble holds its
// own links to them.
func (l *tableLoader) remove() {
	for _, p := range l.paths {
		if err := l.s.fs.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.s.log.Warn("store: bulk load: remove table", "path", p, "err", err)
		}
	}
}

// orderedWriter holds a batch's writes to BulkLoad's contract: keys in
// ascending order.
type orderedWriter struct {
	w    Writer
	last []byte
	any  bool
}

func (o *orderedWriter) check(key []byte) error {
	if o.any && bytes.Compare(key, o.last) < 0 {
		return fmt.Errorf("%w: %x after %x", ErrUnsorted, key, o.last)
	}
	o.last = append(o.last[:0], key...)
	o.any = true
	return nil
}

func (o *orderedWriter) Set(key, value []byte) error {
	if err := o.check(key); err != nil {
		return err
	}
	return o.w.Set(key, value)
}

func (o *orderedWriter) Delete(key []byte) error {
	if err := o.check(key); err != nil {
		return err
	}
	return o.w.Delete(key)
}

// resetBulkDir empties (creating it if needed) the directory of bulk
// loads' tables under pebble's directory dir: tables there belong to a
// bulk load that a crash interrupted before its ingestion, or whose
// ingestion has linked them already.
func resetBulkDir(fs vfs.FS, dir string) (string, error) {
	bd := fs.PathJoin(dir, bulkDirName)
	if err := fs.RemoveAll(bd); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if err := fs.MkdirAll(bd, 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return bd, nil
}
