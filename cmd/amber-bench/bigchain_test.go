package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/amberproc"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/mix"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/syncbench"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

// bigchain end to end: btcd accepts every block, the answers file agrees
// with a scan of btcd's chain (targets.Build), and amberd, synced from
// scratch, gives those answers. Needs btcd and amberd ($AMBER_BIN or built
// here).
func TestBigChainRealBtcdAndAmberd(t *testing.T) {
	node := regtest.StartTestNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "chain.json")
	var out bytes.Buffer
	err := dispatch(ctx, []string{"bigchain", "-daemon", node.URL(), "-txs", "400", "-tx-per-block", "100", "-keys", "150",
		"-funding-outputs", "3", "-heavy", "2", "-heavy-txs", "80", "-watch", "40", "-foreign-watch-every", "5",
		"-seed", "4", "-out", path, "-json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var res bigChainResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	f, err := targets.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := node.GetBlockCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Confirmed != 400 || res.Height != tip || f.Height != tip || res.Accepted != int(tip) || res.Inputs < 400 {
		t.Fatalf("result %+v, file height %d, node tip %d", res, f.Height, tip)
	}
	if h := f.Largest(); h.ScriptHash != f.Heavy || h.History < 30 {
		t.Fatalf("heavy script %+v", h)
	}

	// The generator's answers are what a scan of btcd's chain gives.
	watch := make([]targets.Watch, len(f.Scripts))
	for i, s := range f.Scripts {
		pk, err := hex.DecodeString(s.Script)
		if err != nil {
			t.Fatal(err)
		}
		watch[i] = targets.Watch{PkScript: pk, Type: s.Type, Address: s.Address}
	}
	model, err := targets.Build(ctx, node, watch, nil)
	if err != nil {
		t.Fatal(err)
	}
	var used int
	for i, s := range f.Scripts {
		m := model.Scripts[i]
		if s.ScriptHash != m.ScriptHash || s.History != m.History || s.Confirmed != m.Confirmed || s.UTXOs != m.UTXOs ||
			!slices.Equal(s.Sample, m.Sample) || s.Mempool != 0 {
			t.Fatalf("script %d: generator %+v\nbtcd scan %+v", i, s, m)
		}
		if s.History > 0 {
			used++
		}
	}
	if used < 20 {
		t.Fatalf("only %d of %d tracked scripts have a history", used, len(f.Scripts))
	}

	// amberd synced from scratch answers the same, on each engine.
	bins, err := amberproc.FindOrBuild(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{"pebble", "buntdb"} {
		t.Run(engine, func(t *testing.T) { checkAmberdAnswers(ctx, t, bins, node.URL(), engine, tip, f) })
	}
}

// checkAmberdAnswers syncs a fresh amberd with engine and checks its
// get_history, get_balance and listunspent of every script in f.
func checkAmberdAnswers(ctx context.Context, t *testing.T, bins amberproc.Bins, daemonURL, engine string, tip int64, f *targets.File) {
	p, err := amberproc.Start(ctx, amberproc.Options{Amberd: bins.Amberd, Plugin: bins.Plugin, DaemonURL: daemonURL,
		Env: map[string]string{"AMBER_DB_ENGINE": engine}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Remove()
	defer func() { _ = p.Stop(30 * time.Second) }()
	if _, err := syncbench.Watch(ctx, syncbench.WatchOptions{Target: p, Tip: tip}); err != nil {
		t.Fatalf("amberd sync: %v\n%s", err, p.Tail(4096))
	}
	if !slices.Contains(p.Environ(), "AMBER_DB_ENGINE="+engine) {
		t.Fatalf("amberd environment %v", p.Environ())
	}
	c, err := rpcclient.DialVersion(ctx, p.TCPAddr(), "bigchain-test", "1.4")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range f.Scripts {
		s := &f.Scripts[i]
		for _, m := range []string{mix.History, mix.Balance, mix.ListUnspent} {
			raw, err := c.Call(ctx, m, s.ScriptHash)
			if err != nil {
				t.Fatalf("%s %s: %v", m, s.ScriptHash, err)
			}
			if err := mix.Check(mix.Request{Method: m, Script: s}, raw); err != nil {
				t.Fatal(err)
			}
			if m != mix.History {
				continue
			}
			var hist []targets.Entry
			if err := json.Unmarshal(raw, &hist); err != nil {
				t.Fatal(err)
			}
			for _, e := range s.Sample {
				if !slices.Contains(hist, e) {
					t.Fatalf("amberd's history of %s lacks %+v", s.ScriptHash, e)
				}
			}
		}
	}
}

// bigchain on a btcd it starts itself: with -checkpoint (the default) the
// chain is built into a file first and btcd, started with a checkpoint at
// its tip, takes it; with -checkpoint=false every block goes to btcd as it
// is made, every script checked. Both give the same chain and answers, and
// the default blocks file is removed.
func TestBigChainCheckpointSameChain(t *testing.T) {
	testenv.RequireBtcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	run := func(checkpoint bool) (bigChainResult, *targets.File, string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "chain.json")
		var out bytes.Buffer
		err := dispatch(ctx, []string{"bigchain", "-checkpoint=" + strconv.FormatBool(checkpoint), "-dir", filepath.Join(dir, "btcd"),
			"-hold", "0", "-utxocache-mb", "50", "-txs", "300", "-tx-per-block", "100", "-keys", "120",
			"-funding-outputs", "3", "-heavy", "2", "-heavy-txs", "60", "-watch", "30", "-seed", "5", "-out", path, "-json"}, &out)
		if err != nil {
			t.Fatal(err)
		}
		var res bigChainResult
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		f, err := targets.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return res, f, dir
	}
	cp, cpFile, dir := run(true)
	full, fullFile, _ := run(false)
	if !cp.Checkpoint || full.Checkpoint || cp.Build <= 0 || cp.SubmitAll <= 0 || cp.Accepted != int(cp.Height) || cp.BtcdCPU <= 0 {
		t.Fatalf("checkpoint run %+v\nfull run %+v", cp, full)
	}
	if cpFile.Tip != fullFile.Tip || cpFile.Height != fullFile.Height || cp.Confirmed != 300 || full.Confirmed != 300 ||
		len(cpFile.Scripts) != len(fullFile.Scripts) {
		t.Fatalf("checkpoint chain %s at %d, full %s at %d", cpFile.Tip, cpFile.Height, fullFile.Tip, fullFile.Height)
	}
	for i := range cpFile.Scripts {
		a, b := cpFile.Scripts[i], fullFile.Scripts[i]
		if a.ScriptHash != b.ScriptHash || a.History != b.History || a.Confirmed != b.Confirmed || !slices.Equal(a.Sample, b.Sample) {
			t.Fatalf("script %d: checkpoint %+v, full %+v", i, a, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "btcd", "blocks.dat")); !os.IsNotExist(err) {
		t.Fatalf("blocks file left behind: %v", err)
	}
}
