package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
	"github.com/amber-electrum/amber/core/regtest"
)

// chain against a real btcd (skipped without btcd unless CI=true).
func TestChainRealBtcd(t *testing.T) {
	node := regtest.StartTestNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "chain.json")
	var out bytes.Buffer
	err := dispatch(ctx, []string{"chain", "-daemon", node.URL(), "-blocks", "130", "-tx-per-block", "4",
		"-scripts", "8", "-heavy-script-txs", "12", "-mempool", "3", "-seed", "5", "-out", path, "-json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var res chainResult
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
	if res.Height != 130 || f.Height != tip || res.Mempool < 1 { // Generate may make fewer than asked before segwit
		t.Fatalf("result %+v, file height %d, node tip %d", res, f.Height, tip)
	}
	heavy := f.Largest()
	if heavy.ScriptHash != f.Heavy || heavy.History != 12 || heavy.UTXOs != 12 || res.HeavyLen != 12 {
		t.Fatalf("heavy script %+v (result says %d)", heavy, res.HeavyLen)
	}
	var pool int
	for _, s := range f.Scripts {
		pool += s.Mempool
		if s.History > 0 && len(s.Sample) == 0 {
			t.Fatalf("script %s has history but no sample", s.ScriptHash)
		}
	}
	if pool < res.Mempool {
		t.Fatalf("mempool entries over all scripts = %d, want >= %d", pool, res.Mempool)
	}
}
