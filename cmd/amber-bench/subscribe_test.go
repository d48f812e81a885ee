package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/charts"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/subbench"
	"github.com/amber-electrum/amber/core/regtest"
)

func TestSubscribeFlagErrors(t *testing.T) {
	checkFlagErrors(t, []flagErrorCase{
		{[]string{"subscribe"}, "-daemon is required"},
		{[]string{"subscribe", "-daemon", "u:p@10.0.0.1:18443"}, "only 127.0.0.1"},
		{[]string{"subscribe", "-daemon", "u:p@127.0.0.1:18443", "-server", "192.168.0.1:50001"}, "only 127.0.0.1"},
		{[]string{"subscribe", "-daemon", "u:p@127.0.0.1:18443", "-metrics", "10.1.1.1:9100"}, "only 127.0.0.1"},
		{[]string{"subscribe", "-daemon", "u:p@127.0.0.1:18443", "-subs", "0"}, "must be > 0"},
	})
}

// subscribe end to end: a real btcd, a real amberd (polling its daemon
// every 200 ms) and 20 sessions x 3 subscriptions. Every session must get
// exactly the notifications each event should bring; times are not
// checked.
func TestSubscribeRealBtcd(t *testing.T) {
	node := regtest.StartTestNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bins, err := amberproc.FindOrBuild(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A few blocks only: the tool must mine the blocks that fund it.
	if _, err := node.Generate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	p, err := amberproc.Start(ctx, amberproc.Options{Amberd: bins.Amberd, Plugin: bins.Plugin, DaemonURL: node.URL(),
		DBDir: filepath.Join(t.TempDir(), "db"), LogPath: filepath.Join(t.TempDir(), "amberd.log"), Metrics: "auto",
		Env: map[string]string{"AMBER_MEMPOOL_POLL_INTERVAL": "200ms", "COST_SOFT_LIMIT": "0", "COST_HARD_LIMIT": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("amberd log tail:\n%s", p.Tail(16<<10))
		}
		p.Stop(10 * time.Second)
		p.Remove()
	})
	waitListening(t, ctx, p)

	const sessions, subs, blocks = 20, 3, 2
	jsonPath := filepath.Join(t.TempDir(), "subscribe.json")
	var out bytes.Buffer
	err = dispatch(ctx, []string{"subscribe", "-server", p.TCPAddr(), "-rpc", p.RPCAddr(), "-metrics", p.MetricsAddr(),
		"-daemon", node.URL(), "-sessions", "20", "-subs", "3", "-blocks", "2", "-idle", "200ms", "-timeout", "60s",
		"-outputs-per-tx", "7", "-quiet", "-json", "-json-out", jsonPath}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep subbench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Connected != sessions || rep.Failed != 0 || rep.Disconnected != 0 || rep.StrayNotes != 0 {
		t.Fatalf("sessions: %d connected, %d failed (%s), %d disconnected, %d stray notifications",
			rep.Connected, rep.Failed, rep.FirstError, rep.Disconnected, rep.StrayNotes)
	}
	if rep.SetupBlocks != subbench.MatureBlocks || rep.Height != 5+subbench.MatureBlocks {
		t.Fatalf("setup: mined %d, start height %d", rep.SetupBlocks, rep.Height)
	}
	if rep.Funding.Txs != 3 || rep.Funding.Outputs != sessions { // 20 outputs at most 7 a tx: 6 + 7 + 7
		t.Fatalf("funding %+v", rep.Funding)
	}
	if rep.AmberdPID != p.PID() || rep.Memory.BeforeRSS <= 0 || rep.Memory.AfterRSS <= 0 || rep.Memory.HeapInuseAfter <= 0 {
		t.Fatalf("memory %+v (pid %d, amberd %d)", rep.Memory, rep.AmberdPID, p.PID())
	}
	if len(rep.Events) != 1+blocks {
		t.Fatalf("%d events", len(rep.Events))
	}
	for i, e := range rep.Events {
		wantKind, wantHeight := "block", rep.Height+int64(i)
		want := map[string]subbench.Tally{"header": {Expected: sessions, Received: sessions}}
		switch i {
		case 0:
			wantKind = "mempool"
			want = map[string]subbench.Tally{"scripthash": {Expected: sessions, Received: sessions}}
		case 1:
			want["scripthash"] = subbench.Tally{Expected: sessions, Received: sessions}
		}
		if e.Kind != wantKind || e.Height != wantHeight || e.Sessions != sessions || e.Notified != sessions ||
			e.Missing != 0 || e.Extra != 0 || e.TimedOut || e.Latency.Count != sessions {
			t.Fatalf("event %d: %+v", i, e)
		}
		if len(e.Kinds) != len(want) {
			t.Fatalf("event %d: notifications %v, want %v", i, e.Kinds, want)
		}
		for k, w := range want {
			if e.Kinds[k] != w {
				t.Fatalf("event %d: notifications %v, want %v", i, e.Kinds, want)
			}
		}
		var n int64
		for _, b := range e.Histogram {
			n += b.Count
		}
		if n != sessions {
			t.Fatalf("event %d: histogram holds %d samples", i, n)
		}
	}
	// Independently: the first block paid every session's funded script.
	tip, err := node.GetBlockCount(ctx)
	if err != nil || tip != rep.Height+blocks {
		t.Fatalf("tip %d (%v), want %d", tip, err, rep.Height+blocks)
	}
	hs, err := node.GetBlockHashes(ctx, rep.Height+1, rep.Height+1)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := node.GetBlocks(ctx, hs)
	if err != nil {
		t.Fatal(err)
	}
	paid := 0
	for _, tx := range bs[0].Transactions {
		for _, o := range tx.TxOut {
			if o.Value == 10000 && len(o.PkScript) == 22 {
				paid++
			}
		}
	}
	if paid != sessions {
		t.Fatalf("the first block pays %d outputs of 10000 sat to P2WPKH, want %d", paid, sessions)
	}
	checkSubscribeContract(t, jsonPath)
	// The chart subcommand reads it.
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := charts.ParseSubscribe(data); err != nil {
		t.Fatalf("chart input: %v", err)
	}
}

// waitListening waits until amberd's TCP service accepts connections (it
// opens it once its index caught up).
func waitListening(t *testing.T, ctx context.Context, p *amberproc.Proc) {
	t.Helper()
	for {
		c, err := net.DialTimeout("tcp", p.TCPAddr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.Done():
			t.Fatalf("amberd exited: %v", p.ExitErr())
		case <-ctx.Done():
			t.Fatalf("amberd not listening on %s: %v", p.TCPAddr(), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkSubscribeContract checks the -json-out file against the contract
// between subscribe and chart (field names and JSON types).
func checkSubscribeContract(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	num := func(where string, obj map[string]any, keys ...string) {
		for _, k := range keys {
			if _, ok := obj[k].(float64); !ok {
				t.Errorf("%s%q: %v (%T), want a number", where, k, obj[k], obj[k])
			}
		}
	}
	if m["command"] != "subscribe" {
		t.Errorf("command %v", m["command"])
	}
	if d, ok := m["date"].(string); !ok {
		t.Errorf("date %v", m["date"])
	} else if _, err := time.Parse(time.RFC3339, d); err != nil {
		t.Errorf("date: %v", err)
	}
	num("", m, "sessions", "subs_per_session", "connect_elapsed_ns")
	mem, ok := m["memory"].(map[string]any)
	if !ok {
		t.Fatalf("memory: %T", m["memory"])
	}
	num("memory.", mem, "before_rss_bytes", "after_rss_bytes", "per_session_bytes")
	evs, ok := m["events"].([]any)
	if !ok || len(evs) == 0 {
		t.Fatalf("events: %v", m["events"])
	}
	for _, x := range evs {
		e, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("event %T", x)
		}
		if k := e["kind"]; k != "mempool" && k != "block" {
			t.Errorf("kind %v", k)
		}
		num("event.", e, "height", "sessions", "notified")
		lat, ok := e["latency"].(map[string]any)
		if !ok {
			t.Fatalf("latency %T", e["latency"])
		}
		num("latency.", lat, "count", "mean_ns", "p50_ns", "p99_ns", "p999_ns", "max_ns")
		hist, ok := e["histogram"].([]any)
		if !ok || len(hist) == 0 {
			t.Fatalf("histogram %v", e["histogram"])
		}
		for _, h := range hist {
			hb, ok := h.(map[string]any)
			if !ok {
				t.Fatalf("bucket %T", h)
			}
			num("bucket.", hb, "le_ns", "count")
		}
	}
}
