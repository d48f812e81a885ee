package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/procstat"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/syncbench"
	"github.com/amber-electrum/amber/core/regtest"
)

// syncTarget is the target: amberd's sync at >= 80 % of the raw
// fetch rate.
const syncTarget = 0.8

// syncReport is the JSON of `amber-bench sync` (the contract with chart:
// command, date, chain, raw_fetch, amberd, ratio; the rest is extra).
type syncReport struct {
	Command string    `json:"command"`
	Date    string    `json:"date"` // RFC3339
	Daemon  string    `json:"daemon"`
	Chain   syncChain `json:"chain"`
	// RawFetch is the raw fetch the ratio uses: the faster of the runs
	// before and after amberd's (RawFetchUsed says which), the fair
	// physical limit.
	RawFetch       *syncbench.Result `json:"raw_fetch"`
	RawFetchUsed   string            `json:"raw_fetch_used"`
	RawFetchBefore *syncbench.Result `json:"raw_fetch_before"`
	RawFetchAfter  *syncbench.Result `json:"raw_fetch_after,omitempty"`
	Amberd         syncAmberd        `json:"amberd"`
	// Ratio is amberd.blocks_per_s / raw_fetch.blocks_per_s (process start
	// to caught up); RatioIndexing the same in transactions a second
	// from the first indexed block.
	Ratio         float64    `json:"ratio"`
	RatioIndexing float64    `json:"ratio_indexing"`
	TargetRatio   float64    `json:"target_ratio"`
	LoadBefore    [3]float64 `json:"load_avg_before"` // /proc/loadavg 1, 5, 15 min
	LoadAfter     [3]float64 `json:"load_avg_after"`
	Engine        syncEngine `json:"engine"`
	Warnings      []string   `json:"warnings,omitempty"`
}

type syncChain struct {
	Height int64 `json:"height"`
	Txs    int64 `json:"txs"`
	Bytes  int64 `json:"bytes"`
}

type syncAmberd struct {
	// Elapsed is from the process start to caught up (tip indexed and the
	// index synced), overstated by up to one poll interval.
	Elapsed    time.Duration `json:"elapsed_ns"`
	Blocks     int64         `json:"blocks"`
	Txs        int64         `json:"txs"` // the chain's: getinfo has no tx count, amberd indexed that chain
	Bytes      int64         `json:"bytes"`
	BlocksPerS float64       `json:"blocks_per_s"`
	TxsPerS    float64       `json:"txs_per_s"`
	MBPerS     float64       `json:"mb_per_s"`
	// PeakRSS is amberd's VmHWM just before the stop; IndexBytes the size
	// of the database directory after a clean stop.
	PeakRSS    int64 `json:"peak_rss_bytes"`
	IndexBytes int64 `json:"index_bytes"`
	// WALBytes is the part of IndexBytes in pebble's write-ahead log
	// files (*.log): after a clean stop they hold nothing, pebble keeps
	// them to reuse (see walBytes).
	WALBytes      int64              `json:"wal_bytes,omitempty"`
	Series        []syncbench.Sample `json:"series"`
	PluginPID     int                `json:"plugin_pid,omitempty"`
	PluginPeakRSS int64              `json:"plugin_peak_rss_bytes"`
	// Startup is from the process start to the first indexed block seen
	// (plugin start, store open, first fetch and commit; up to one poll
	// late); the Indexing figures cover FirstHeight+1..tip after it.
	Startup          time.Duration `json:"startup_ns"`
	FirstHeight      int64         `json:"first_height"`
	IndexElapsed     time.Duration `json:"indexing_elapsed_ns"`
	IndexBlocksPerS  float64       `json:"indexing_blocks_per_s"`
	IndexTxsPerS     float64       `json:"indexing_txs_per_s"`
	Poll             time.Duration `json:"poll_ns"`
	Polls            int           `json:"polls"`
	Env              []string      `json:"env"` // amberd's configuration (PATH, HOME and the daemon password left out)
	Log              string        `json:"log,omitempty"`
	CPUProfile       string        `json:"cpu_profile,omitempty"`
	CPUProfileSecond int           `json:"cpu_profile_seconds,omitempty"`
}

type syncFlags struct {
	daemon, amberd, plugin, dbDir, logPath string
	batch, concurrency, seriesMax          int
	after, keep, asJSON, quiet             bool
	poll, timeout                          time.Duration
	jsonOut, cpuProfile                    string
	cpuSeconds                             int
	env                                    []string
	engine                                 string
	cacheMB                                int
	restart                                bool
}

func runSync(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	var f syncFlags
	fs.StringVar(&f.daemon, "daemon", "", "btcd holding the chain: user:pass@127.0.0.1:port (required; `chain -hold` keeps one running)")
	fs.StringVar(&f.amberd, "amberd", "./bin/amberd", "amberd binary")
	fs.StringVar(&f.plugin, "plugin", "./bin/amber-bitcoind", "amber-bitcoind (daemon plugin) binary")
	fs.IntVar(&f.batch, "batch", syncbench.DefaultBatchSize, "raw fetch: blocks per getblockhash/getblock batch (default: amber-bitcoind's batch_size)")
	fs.IntVar(&f.concurrency, "concurrency", syncbench.DefaultConcurrency, "raw fetch: batches in flight (default: amberd's prefetcher, one)")
	fs.BoolVar(&f.after, "after", true, "raw fetch again after the amberd run (the faster of the two runs is the limit)")
	fs.StringVar(&f.dbDir, "db-dir", "", "amberd's database directory, must be new or empty (default: a temporary one)")
	fs.StringVar(&f.logPath, "log", "", "amberd's output file (default: in the temporary directory, removed unless -keep)")
	fs.BoolVar(&f.keep, "keep", false, "keep the temporary directory (database and log)")
	fs.Func("env", "extra amberd configuration NAME=value (repeatable), e.g. -env AMBER_CACHE_MB=300", func(s string) error {
		f.env = append(f.env, s)
		return nil
	})
	fs.DurationVar(&f.poll, "poll", 100*time.Millisecond, "admin getinfo poll interval during amberd's sync")
	fs.DurationVar(&f.timeout, "timeout", time.Hour, "give up on amberd's sync after this long")
	fs.IntVar(&f.seriesMax, "series-max", 2000, "at most this many points per progress series in the JSON")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of amberd's sync here (metrics endpoint with pprof on a free port)")
	fs.IntVar(&f.cpuSeconds, "cpuprofile-seconds", 20, "length of the -cpuprofile profile, from the first indexed block")
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fs.StringVar(&f.jsonOut, "json-out", "", "also write the JSON result to this file")
	fs.BoolVar(&f.quiet, "quiet", false, "no live status line")
	f.registerEngine(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.daemon == "" {
		return errors.New("sync: -daemon user:pass@127.0.0.1:port is required")
	}
	hp, user, pass, err := parseDaemonURL(f.daemon)
	if err != nil {
		return err
	}
	extra, err := amberproc.ParseAssignments(f.env)
	if err != nil {
		return err
	}
	f.engineEnv(extra)
	for _, p := range []*string{&f.amberd, &f.plugin} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
		if _, err := os.Stat(*p); err != nil {
			return fmt.Errorf("sync: %w (make build puts it in ./bin)", err)
		}
	}
	var st *load.Status
	if !f.quiet {
		st = newStatus(os.Stderr)
	}
	client := regtest.NewClient(hp, user, pass)
	rep := &syncReport{Command: "sync", Date: time.Now().UTC().Format(time.RFC3339), Daemon: hp,
		TargetRatio: syncTarget, LoadBefore: loadAvg(), Engine: syncEngine{Engine: f.engine, CacheMB: f.cacheMB}}

	rep.RawFetchBefore, err = rawFetch(ctx, client, &f, st, "raw fetch (before)")
	if err != nil {
		return err
	}
	raw := rep.RawFetchBefore
	rep.Chain = syncChain{Height: raw.Tip, Txs: raw.Txs, Bytes: raw.Bytes}

	daemonURL := user + ":" + pass + "@" + hp
	if err := runAmberd(ctx, &f, daemonURL, extra, raw, st, rep); err != nil {
		return err
	}
	if f.after {
		if rep.RawFetchAfter, err = rawFetch(ctx, client, &f, st, "raw fetch (after)"); err != nil {
			return err
		}
		if a := rep.RawFetchAfter; a.Tip != raw.Tip || a.TipHash != raw.TipHash {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the daemon's chain changed during the run: tip %d %s before, %d %s after",
				raw.Tip, raw.TipHash, a.Tip, a.TipHash))
		}
	}
	rep.LoadAfter = loadAvg()
	finishReport(rep, f.seriesMax)
	for _, w := range rep.Warnings {
		fmt.Fprintln(os.Stderr, "sync: warning:", w)
	}
	return writeSyncOutput(stdout, &f, rep)
}

// rawFetch runs one raw fetch with a status line.
func rawFetch(ctx context.Context, c *regtest.Client, f *syncFlags, st *load.Status, label string) (*syncbench.Result, error) {
	r, err := syncbench.Fetch(ctx, syncbench.Options{Client: c, BatchSize: f.batch, Concurrency: f.concurrency,
		Progress: func(h, tip int64, el time.Duration) {
			st.Printf("%s: block %d/%d, %.0f blocks/s", label, h, tip, syncbench.PerSecond(h+1, el))
		}})
	st.Done()
	if err != nil {
		return nil, fmt.Errorf("sync: %s: %w", label, err)
	}
	return r, nil
}

// runAmberd starts a fresh amberd, watches it index the chain raw describes,
// stops it cleanly and fills rep.Amberd.
func runAmberd(ctx context.Context, f *syncFlags, daemonURL string, extra map[string]string, raw *syncbench.Result,
	st *load.Status, rep *syncReport) error {
	opts := amberproc.Options{Amberd: f.amberd, Plugin: f.plugin, DaemonURL: daemonURL, DBDir: f.dbDir,
		LogPath: f.logPath, Env: extra}
	if f.cpuProfile != "" {
		opts.Metrics = "auto"
	}
	p, err := amberproc.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = p.Stop(30 * time.Second)
		}
		if !f.keep {
			p.Remove()
		}
	}()
	a := &rep.Amberd
	a.Poll, a.Env = f.poll, reportEnv(p.Environ())
	if f.keep || f.logPath != "" {
		a.Log = p.LogPath()
	}
	var prof chan error
	wctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	w, err := syncbench.Watch(wctx, syncbench.WatchOptions{Target: p, Tip: raw.Tip, Poll: f.poll,
		OnFirst: func() {
			if f.cpuProfile != "" {
				prof = make(chan error, 1)
				go func() { prof <- fetchProfile(ctx, p.MetricsAddr(), f.cpuSeconds, f.cpuProfile) }()
			}
		},
		OnSample: func(s syncbench.Sample, info amberproc.Info) {
			st.Printf("amberd: height %d/%d, %.1fs, RSS %.0f MB (plugin %.0f MB)", info.DBHeight, raw.Tip, s.TSec,
				float64(s.RSS)/1e6, float64(s.PluginRSS)/1e6)
		}})
	st.Done()
	if err != nil {
		if w != nil && w.LastErr != nil {
			err = fmt.Errorf("%w (last getinfo error: %v)", err, w.LastErr)
		}
		return fmt.Errorf("sync: amberd: %w\namberd output (%s), tail:\n%s", err, p.LogPath(), p.Tail(8<<10))
	}
	// Peaks before the stop: /proc/<pid> is gone after it.
	if m, err := procstat.Read(p.PID()); err == nil {
		a.PeakRSS = m.Peak
	}
	readCPU(&rep.Engine, p.PID(), w.PluginPID)
	if w.PluginPID > 0 {
		a.PluginPID = w.PluginPID
		if m, err := procstat.Read(w.PluginPID); err == nil {
			a.PluginPeakRSS = m.Peak
		}
	}
	if prof != nil {
		st.Printf("amberd: caught up; waiting for the %d s CPU profile", f.cpuSeconds)
		perr := <-prof
		st.Done()
		if perr != nil {
			rep.Warnings = append(rep.Warnings, "cpu profile: "+perr.Error())
		} else {
			a.CPUProfile, a.CPUProfileSecond = f.cpuProfile, f.cpuSeconds
		}
	}
	stopped = true
	if err := p.Stop(time.Minute); err != nil {
		rep.Warnings = append(rep.Warnings, "amberd stop: "+err.Error())
	}
	if a.IndexBytes, err = procstat.DirSize(p.DBDir()); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if a.WALBytes, err = walBytes(p.DBDir()); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if f.restart {
		st.Printf("amberd: restarting on the synced index")
		rep.Engine.Restart, err = restartOn(ctx, f, daemonURL, extra, p.DBDir(), p.LogPath()+".restart", raw.Tip)
		st.Done()
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	if f.keep {
		fmt.Fprintf(os.Stderr, "sync: kept amberd's database %s and log %s\n", p.DBDir(), p.LogPath())
	}
	fillAmberd(a, w, raw)
	return nil
}

// fillAmberd derives amberd's figures from what Watch saw of the chain raw
// describes.
func fillAmberd(a *syncAmberd, w *syncbench.Watched, raw *syncbench.Result) {
	a.Elapsed, a.Polls, a.Series = w.CaughtUp, w.Polls, w.Series
	a.Blocks, a.Txs, a.Bytes = raw.Blocks, raw.Txs, raw.Bytes
	a.BlocksPerS = syncbench.PerSecond(a.Blocks, a.Elapsed)
	a.TxsPerS = syncbench.PerSecond(a.Txs, a.Elapsed)
	a.MBPerS = syncbench.PerSecond(a.Bytes, a.Elapsed) / 1e6
	a.Startup, a.FirstHeight, a.IndexElapsed = w.FirstSeen, w.FirstHeight, w.IndexElapsed()
	a.IndexBlocksPerS = syncbench.PerSecond(raw.Tip-w.FirstHeight, a.IndexElapsed)
	a.IndexTxsPerS = syncbench.PerSecond(raw.TxsThrough(raw.Tip)-raw.TxsThrough(w.FirstHeight), a.IndexElapsed)
}

// finishReport picks the raw fetch for the ratio (the faster run), computes
// the ratios and thins the series.
func finishReport(rep *syncReport, seriesMax int) {
	var after bool
	rep.RawFetch, after = syncbench.Better(rep.RawFetchBefore, rep.RawFetchAfter)
	rep.RawFetchUsed = "before"
	if after {
		rep.RawFetchUsed = "after"
	}
	if rep.RawFetch != nil {
		rep.Ratio = syncbench.Ratio(rep.Amberd.BlocksPerS, rep.RawFetch.BlocksPerS)
		// In transactions: the blocks from the first indexed one on
		// may hold far more of them than the average block (a chain
		// whose first blocks are empty).
		rep.RatioIndexing = syncbench.Ratio(rep.Amberd.IndexTxsPerS, rep.RawFetch.TxsPerS)
	}
	for _, r := range []*syncbench.Result{rep.RawFetchBefore, rep.RawFetchAfter} {
		if r != nil {
			r.Series = syncbench.Thin(r.Series, seriesMax)
		}
	}
	rep.Amberd.Series = syncbench.Thin(rep.Amberd.Series, seriesMax)
}

// reportEnv is amberd's environment without PATH and HOME and with the
// daemon password masked.
func reportEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "HOME":
			continue
		case "DAEMON_URL":
			if cred, hp, ok := strings.Cut(v, "@"); ok {
				u, _, _ := strings.Cut(cred, ":")
				kv = k + "=" + u + ":***@" + hp
			}
		}
		out = append(out, kv)
	}
	return out
}

// fetchProfile saves a CPU profile of seconds from amberd's metrics
// endpoint to path.
func fetchProfile(ctx context.Context, addr string, seconds int, path string) error {
	if addr == "" {
		return errors.New("no metrics endpoint")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds)*time.Second+time.Minute)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(fh, resp.Body)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadAvg is the machine's 1, 5 and 15 minute load averages (zeros where
// /proc/loadavg is missing).
func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err == nil {
		_, _ = fmt.Sscan(string(b), &l[0], &l[1], &l[2])
	}
	return l
}

func writeSyncOutput(stdout io.Writer, f *syncFlags, rep *syncReport) error {
	if f.jsonOut != "" {
		if err := writeJSONFile(f.jsonOut, rep); err != nil {
			return err
		}
	}
	if f.asJSON {
		return writeJSON(stdout, rep)
	}
	writeSyncText(stdout, rep)
	return nil
}

func writeSyncText(w io.Writer, rep *syncReport) {
	mb := func(n int64) float64 { return float64(n) / 1e6 }
	fmt.Fprintf(w, "sync of a fresh amberd from %s: chain height %d, %d txs, %.1f MB\n\n",
		rep.Daemon, rep.Chain.Height, rep.Chain.Txs, mb(rep.Chain.Bytes))
	fmt.Fprintln(w, "| run | elapsed s | blocks | txs | MB | blocks/s | txs/s | MB/s |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	row := func(label string, el time.Duration, blocks, txs, bytes int64) {
		fmt.Fprintf(w, "| %s | %.2f | %d | %d | %.1f | %.0f | %.0f | %.2f |\n", label, el.Seconds(), blocks, txs, mb(bytes),
			syncbench.PerSecond(blocks, el), syncbench.PerSecond(txs, el), syncbench.PerSecond(bytes, el)/1e6)
	}
	for _, r := range []struct {
		name string
		r    *syncbench.Result
	}{{"before", rep.RawFetchBefore}, {"after", rep.RawFetchAfter}} {
		if r.r != nil {
			row(fmt.Sprintf("raw fetch %s (batch %d, %d in flight)", r.name, r.r.BatchSize, r.r.Concurrency),
				r.r.Elapsed, r.r.Blocks, r.r.Txs, r.r.Bytes)
		}
	}
	a := rep.Amberd
	row("amberd: process start → caught up", a.Elapsed, a.Blocks, a.Txs, a.Bytes)
	if rf := rep.RawFetch; rf != nil && a.FirstHeight >= 0 {
		row(fmt.Sprintf("amberd: height %d seen → caught up", a.FirstHeight), a.IndexElapsed, rf.Tip-a.FirstHeight,
			rf.TxsThrough(rf.Tip)-rf.TxsThrough(a.FirstHeight), rf.BytesThrough(rf.Tip)-rf.BytesThrough(a.FirstHeight))
	}
	fmt.Fprintf(w, "\namberd start-up (process start to the first indexed block seen, poll %v): %.2f s\n", a.Poll, a.Startup.Seconds())
	fmt.Fprintf(w, "amberd peak RSS %.1f MB; amber-bitcoind peak RSS %.1f MB; index on disk %.1f MB (after a clean stop)\n",
		mb(a.PeakRSS), mb(a.PluginPeakRSS), mb(a.IndexBytes))
	if a.WALBytes > 0 {
		fmt.Fprintf(w, "of the index on disk: %.1f MB of recycled pebble WAL files, %.1f MB of tables and the rest (%.0f bytes/tx)\n",
			mb(a.WALBytes), mb(a.IndexBytes-a.WALBytes), float64(a.IndexBytes-a.WALBytes)/float64(max(a.Txs, 1)))
	}
	fmt.Fprintf(w, "ratio amberd / raw fetch (%s, the faster run: the physical limit) = %.3f (target >= %.2f); from the first indexed block: %.3f\n",
		rep.RawFetchUsed, rep.Ratio, rep.TargetRatio, rep.RatioIndexing)
	fmt.Fprintf(w, "load average before %.2f %.2f %.2f, after %.2f %.2f %.2f\n", rep.LoadBefore[0], rep.LoadBefore[1],
		rep.LoadBefore[2], rep.LoadAfter[0], rep.LoadAfter[1], rep.LoadAfter[2])
	writeEngineText(w, rep)
	if a.CPUProfile != "" {
		fmt.Fprintf(w, "CPU profile of amberd (%d s from the first indexed block): %s\n", a.CPUProfileSecond, a.CPUProfile)
	}
	for _, wr := range rep.Warnings {
		fmt.Fprintln(w, "warning:", wr)
	}
}
