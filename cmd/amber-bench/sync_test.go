package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/syncbench"
	"github.com/amber-electrum/amber/core/regtest"
)

func TestFinishReport(t *testing.T) {
	series := func(n int) []syncbench.Point {
		out := make([]syncbench.Point, n)
		for i := range out {
			out[i] = syncbench.Point{TSec: float64(i), Height: int64(i)}
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		before, after *syncbench.Result
		amberd        float64
		used          string
		ratio         float64
	}{
		{"after faster", &syncbench.Result{BlocksPerS: 400, TxsPerS: 4000, Series: series(10)}, &syncbench.Result{BlocksPerS: 500, TxsPerS: 5000, Series: series(3)}, 400, "after", 0.8},
		{"before faster", &syncbench.Result{BlocksPerS: 500, TxsPerS: 5000, Series: series(10)}, &syncbench.Result{BlocksPerS: 400, TxsPerS: 4000}, 250, "before", 0.5},
		{"no after", &syncbench.Result{BlocksPerS: 200, TxsPerS: 2000, Series: series(10)}, nil, 300, "before", 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &syncReport{RawFetchBefore: tc.before, RawFetchAfter: tc.after}
			// The indexing ratio is in transactions: the indexed
			// blocks' rate in blocks (here 1) must not matter.
			rep.Amberd.BlocksPerS, rep.Amberd.IndexBlocksPerS, rep.Amberd.IndexTxsPerS = tc.amberd, 1, 20*tc.amberd
			rep.Amberd.Series = make([]syncbench.Sample, 9)
			finishReport(rep, 4)
			if rep.RawFetchUsed != tc.used || rep.Ratio != tc.ratio || rep.RatioIndexing != 2*tc.ratio {
				t.Fatalf("used %s, ratio %v, indexing %v", rep.RawFetchUsed, rep.Ratio, rep.RatioIndexing)
			}
			if (tc.used == "after") != (rep.RawFetch == tc.after) {
				t.Fatal("RawFetch is not the run named in RawFetchUsed")
			}
			if len(rep.RawFetchBefore.Series) != 4 || len(rep.Amberd.Series) != 4 || rep.RawFetchBefore.Series[3].Height != 9 {
				t.Fatalf("series not thinned: %v, %d amberd points", rep.RawFetchBefore.Series, len(rep.Amberd.Series))
			}
		})
	}
}

func TestFillAmberd(t *testing.T) {
	raw := &syncbench.Result{Tip: 9, Blocks: 10, Txs: 100, Bytes: 10e6}
	w := &syncbench.Watched{CaughtUp: 2 * time.Second, FirstSeen: 500 * time.Millisecond, FirstHeight: -1, Polls: 21,
		Series: []syncbench.Sample{{TSec: 1, Height: 3}}}
	var a syncAmberd
	fillAmberd(&a, w, raw)
	if a.Blocks != 10 || a.Txs != 100 || a.BlocksPerS != 5 || a.TxsPerS != 50 || a.MBPerS != 5 || a.Polls != 21 || len(a.Series) != 1 {
		t.Fatalf("%+v", a)
	}
	// FirstHeight -1: all 10 blocks after the first "seen" moment.
	if a.Startup != 500*time.Millisecond || a.IndexElapsed != 1500*time.Millisecond || a.IndexBlocksPerS != 10/1.5 {
		t.Fatalf("indexing figures %+v", a)
	}
}

func TestReportEnv(t *testing.T) {
	got := reportEnv([]string{"COIN=Bitcoin", "DAEMON_URL=amber:secret@127.0.0.1:18443", "HOME=/root", "PATH=/bin", "X=a=b"})
	want := []string{"COIN=Bitcoin", "DAEMON_URL=amber:***@127.0.0.1:18443", "X=a=b"}
	if !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestSyncFlagErrors(t *testing.T) {
	checkFlagErrors(t, []flagErrorCase{
		{[]string{"sync"}, "-daemon"},
		{[]string{"sync", "-daemon", "u:p@10.0.0.1:18443"}, "only 127.0.0.1"},
		{[]string{"sync", "-daemon", "u:p@127.0.0.1:1", "-env", "NOEQUALS"}, "NAME=value"},
		{[]string{"sync", "-daemon", "u:p@127.0.0.1:1", "-amberd", "/nonexistent/amberd"}, "no such file"},
	})
}

// sync end to end: a real btcd with a small chain, real amberd and plugin
// ($AMBER_BIN or built here). Checks counts and the JSON contract, never
// times.
func TestSyncRealBtcd(t *testing.T) {
	node := regtest.StartTestNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bins, err := amberproc.FindOrBuild(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = dispatch(ctx, []string{"chain", "-daemon", node.URL(), "-blocks", "150", "-tx-per-block", "5",
		"-scripts", "10", "-mempool", "2", "-seed", "3", "-out", filepath.Join(dir, "chain.json")}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	// The expected counts, independently: every block decoded.
	tip, err := node.GetBlockCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := node.GetBlockHashes(ctx, 0, tip)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := node.GetBlocks(ctx, hashes)
	if err != nil {
		t.Fatal(err)
	}
	var wantTxs, wantBytes int64
	for _, b := range blocks {
		wantTxs += int64(len(b.Transactions))
		wantBytes += int64(b.SerializeSize())
	}

	jsonPath := filepath.Join(dir, "sync.json")
	var out bytes.Buffer
	err = dispatch(ctx, []string{"sync", "-daemon", node.URL(), "-amberd", bins.Amberd, "-plugin", bins.Plugin,
		"-batch", "20", "-concurrency", "2", "-log", filepath.Join(dir, "amberd.log"), "-quiet", "-json",
		"-json-out", jsonPath}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep syncReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Chain.Height != tip || rep.Chain.Txs != wantTxs || rep.Chain.Bytes != wantBytes || tip < 150 {
		t.Fatalf("chain %+v, want height %d, %d txs, %d bytes", rep.Chain, tip, wantTxs, wantBytes)
	}
	for _, r := range []*syncbench.Result{rep.RawFetch, rep.RawFetchBefore, rep.RawFetchAfter} {
		if r == nil || r.Blocks != tip+1 || r.Txs != wantTxs || r.Bytes != wantBytes || r.BatchSize != 20 || r.Concurrency != 2 ||
			r.Series[len(r.Series)-1].Height != tip || r.TipHash != hashes[len(hashes)-1].String() {
			t.Fatalf("raw fetch %+v", r)
		}
	}
	a := rep.Amberd
	if a.Blocks != tip+1 || a.Txs != wantTxs || a.Series[len(a.Series)-1].Height != tip || a.PeakRSS <= 0 || a.IndexBytes <= 0 {
		t.Fatalf("amberd %+v", a)
	}
	if a.PluginPID <= 0 || a.PluginPeakRSS <= 0 || a.Series[len(a.Series)-1].RSS <= 0 {
		t.Fatalf("plugin pid %d, peak %d; last sample %+v", a.PluginPID, a.PluginPeakRSS, a.Series[len(a.Series)-1])
	}
	if rep.Ratio <= 0 || rep.Command != "sync" || len(rep.Warnings) != 0 || (rep.RawFetchUsed != "before" && rep.RawFetchUsed != "after") {
		t.Fatalf("report %+v", rep)
	}
	if !slices.Contains(a.Env, "PEER_DISCOVERY=off") || !slices.ContainsFunc(a.Env, func(s string) bool {
		return strings.HasPrefix(s, "DAEMON_URL=") && strings.Contains(s, ":***@")
	}) {
		t.Fatalf("env %v", a.Env)
	}
	if _, err := time.Parse(time.RFC3339, rep.Date); err != nil {
		t.Fatal(err)
	}
	// The engine side: CPU time read, amberd restarted on the synced index
	// and caught up at the same tip.
	e := rep.Engine
	if e.CPU <= 0 || e.PluginCPU < 0 || e.Restart == nil || e.Restart.Height != tip || e.Restart.IndexOpen <= 0 ||
		e.Restart.Ready < e.Restart.IndexOpen || e.Restart.RSS <= 0 {
		t.Fatalf("engine %+v, restart %+v", e, e.Restart)
	}
	checkSyncContract(t, jsonPath)
}

// checkSyncContract checks that the -json-out file has the contract's
// fields with the contract's JSON types.
func checkSyncContract(t *testing.T, path string) {
	t.Helper()
	var m map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	num := func(obj map[string]any, keys ...string) {
		for _, k := range keys {
			if _, ok := obj[k].(float64); !ok {
				t.Errorf("field %q: %v (%T), want a number", k, obj[k], obj[k])
			}
		}
	}
	obj := func(k string) map[string]any {
		o, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("field %q: %T, want an object", k, m[k])
		}
		return o
	}
	series := func(o map[string]any, keys ...string) {
		s, ok := o["series"].([]any)
		if !ok || len(s) == 0 {
			t.Fatalf("series: %T %v", o["series"], o["series"])
		}
		for _, p := range s {
			num(p.(map[string]any), keys...)
		}
	}
	if m["command"] != "sync" {
		t.Errorf("command %v", m["command"])
	}
	if _, ok := m["date"].(string); !ok {
		t.Errorf("date %v", m["date"])
	}
	num(m, "ratio")
	num(obj("chain"), "height", "txs", "bytes")
	raw := obj("raw_fetch")
	num(raw, "elapsed_ns", "blocks", "txs", "bytes", "blocks_per_s", "txs_per_s")
	series(raw, "t_s", "height")
	am := obj("amberd")
	num(am, "elapsed_ns", "blocks", "txs", "blocks_per_s", "txs_per_s", "peak_rss_bytes", "index_bytes")
	series(am, "t_s", "height", "rss_bytes")
}

// TestWALBytes: only pebble's *.log files count, not the tables, not
// other logs.
func TestWALBytes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{"pebble/000001.log": 100, "pebble/000002.log": 50, "pebble/000003.sst": 1000, "amberd.log": 7}
	for name, n := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := walBytes(dir); err != nil || n != 150 {
		t.Fatalf("walBytes = %d, %v; want 150", n, err)
	}
}
