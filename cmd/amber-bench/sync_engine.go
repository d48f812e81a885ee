package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/syncbench"
)

// The issue-10 side of `amber-bench sync`: the store engine and cache_mb
// under test, the CPU time of the sync, and the start-up of amberd on the
// index it just built.

// syncEngine is the engine part of the sync report.
type syncEngine struct {
	// Engine is the db_engine given to amberd ("" = amberd's default);
	// CacheMB its cache_mb (0 = amberd's default).
	Engine  string `json:"engine"`
	CacheMB int    `json:"cache_mb,omitempty"`
	// CPU and PluginCPU are the user+system CPU time amberd and its chain
	// plugin used from their start to caught up.
	CPU       time.Duration `json:"cpu_ns"`
	PluginCPU time.Duration `json:"plugin_cpu_ns"`
	// Restart is the start-up of a second amberd on the synced index.
	Restart *syncRestart `json:"restart,omitempty"`
}

// syncRestart is amberd started again on the index the sync built: from
// the process start to the first getinfo showing the synced height
// (IndexOpen) and to caught up with the daemon again (Ready).
type syncRestart struct {
	IndexOpen time.Duration `json:"index_open_ns"`
	Ready     time.Duration `json:"ready_ns"`
	Height    int64         `json:"height"`
	RSS       int64         `json:"rss_bytes"` // amberd's peak RSS at Ready
	Poll      time.Duration `json:"poll_ns"`
}

// engineFlags registers -engine, -cache-mb and -restart.
func (f *syncFlags) registerEngine(fs *flag.FlagSet) {
	fs.StringVar(&f.engine, "engine", "", "amberd's db_engine (pebble or buntdb; default: amberd's own default)")
	fs.IntVar(&f.cacheMB, "cache-mb", 0, "amberd's cache_mb (0: amberd's default)")
	fs.BoolVar(&f.restart, "restart", true, "after the sync, start amberd again on the synced index and time its start-up")
}

// engineEnv adds the engine and cache settings to amberd's environment.
func (f *syncFlags) engineEnv(extra map[string]string) {
	if f.engine != "" {
		extra["AMBER_DB_ENGINE"] = f.engine
	}
	if f.cacheMB > 0 {
		extra["AMBER_CACHE_MB"] = strconv.Itoa(f.cacheMB)
	}
}

// readCPU fills the CPU times of amberd and its plugin (before the stop:
// /proc/<pid> is gone after it).
func readCPU(e *syncEngine, amberdPID, pluginPID int) {
	if d, err := procstat.CPU(amberdPID); err == nil {
		e.CPU = d
	}
	if pluginPID > 0 {
		if d, err := procstat.CPU(pluginPID); err == nil {
			e.PluginCPU = d
		}
	}
}

// restartOn starts amberd on the synced index in dbDir and times its
// start-up until it is caught up with the daemon at tip again.
func restartOn(ctx context.Context, f *syncFlags, daemonURL string, extra map[string]string, dbDir, logPath string,
	tip int64) (*syncRestart, error) {
	poll := min(f.poll, 20*time.Millisecond)
	p, err := amberproc.Start(ctx, amberproc.Options{Amberd: f.amberd, Plugin: f.plugin, DaemonURL: daemonURL,
		DBDir: dbDir, Reuse: true, LogPath: logPath, Env: extra})
	if err != nil {
		return nil, fmt.Errorf("restart: %w", err)
	}
	defer func() { _ = p.Stop(time.Minute) }()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	w, err := syncbench.Watch(wctx, syncbench.WatchOptions{Target: p, Tip: tip, Poll: poll})
	if err != nil {
		return nil, fmt.Errorf("restart: %w\namberd output (%s), tail:\n%s", err, p.LogPath(), p.Tail(4<<10))
	}
	r := &syncRestart{IndexOpen: w.FirstSeen, Ready: w.CaughtUp, Height: w.Height, Poll: poll}
	if m, err := procstat.Read(p.PID()); err == nil {
		r.RSS = m.Peak
	}
	return r, nil
}

func writeEngineText(w io.Writer, rep *syncReport) {
	e := rep.Engine
	name := e.Engine
	if name == "" {
		name = "amberd's default"
	}
	cache := "default"
	if e.CacheMB > 0 {
		cache = strconv.Itoa(e.CacheMB)
	}
	fmt.Fprintf(w, "engine %s, cache_mb %s; CPU amberd %.1f s, amber-bitcoind %.1f s", name, cache, e.CPU.Seconds(), e.PluginCPU.Seconds())
	if rep.Chain.Txs > 0 {
		fmt.Fprintf(w, " (%.1f µs per transaction)", float64((e.CPU+e.PluginCPU).Microseconds())/float64(rep.Chain.Txs))
	}
	fmt.Fprintln(w)
	if r := e.Restart; r != nil {
		fmt.Fprintf(w, "restart on the synced index (poll %v): index open at height %d after %.3f s, caught up after %.3f s, peak RSS %.1f MB\n",
			r.Poll, r.Height, r.IndexOpen.Seconds(), r.Ready.Seconds(), float64(r.RSS)/1e6)
	}
}

// walBytes sums the write-ahead log files (*.log) under dir. After a
// clean stop pebble's are empty of data (the store flushes its memtables
// in Close) but keep their size: pebble recycles up to
// MemTableStopWritesThreshold+1 of them, each as large as the largest
// batch written to it. They are disk the index holds, not index data.
func walBytes(dir string) (int64, error) {
	return procstat.FilesSize(dir, func(path string) bool {
		return strings.HasSuffix(path, ".log") && filepath.Base(filepath.Dir(path)) == "pebble"
	})
}
