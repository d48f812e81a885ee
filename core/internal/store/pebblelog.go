package store

// What the pebble store logs: pebble's own lines, and its write totals.

import (
	"context"
	"fmt"
	"log/slog"
)

// logTotals logs, at debug level, what pebble wrote since it was opened:
// the write-ahead log, the flushes of memtables to L0 and the compactions
// (comparable between runs on a loaded machine, where CPU time is not),
// and the tables it holds now.
func (s *pebbleStore) logTotals() {
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	m := s.db.Metrics()
	var flushed, compacted, read, ingested uint64
	var tables int64
	for i := range m.Levels {
		l := &m.Levels[i]
		flushed += l.TableBytesFlushed + l.BlobBytesFlushed
		compacted += l.TableBytesCompacted + l.BlobBytesCompacted
		read += l.TableBytesRead
		ingested += l.TableBytesIngested
		tables += l.TablesSize
	}
	s.log.Debug("pebble totals", "wal_mb", m.WAL.BytesWritten>>20, "flushed_mb", flushed>>20,
		"flushes", m.Flush.Count, "compacted_mb", compacted>>20, "compaction_read_mb", read>>20,
		"compactions", m.Compact.Count, "tables_mb", tables>>20,
		"l0_tables", m.Levels[0].TablesCount, "l0_sublevels", m.Levels[0].Sublevels,
		"ingested_mb", ingested>>20, "ingested_bottom_mb", m.Levels[len(m.Levels)-1].TableBytesIngested>>20)
}

// pebbleLogger routes pebble's log lines to slog; pebble's info lines
// (flushes, compactions, WAL recycling) go to debug.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}

// pebbleFatal is the panic value of pebbleLogger.Fatalf.
type pebbleFatal string

// Fatalf is called by pebble for errors it cannot continue from (a failed
// commit, a failed MANIFEST write): logged, then a panic as pebble's own
// logger does. A failed commit's panic is recovered by pebbleStore.guard;
// one in a background flush ends the process.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic(pebbleFatal(msg))
}
