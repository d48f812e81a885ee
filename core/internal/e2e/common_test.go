package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/btcsuite/btcd/chaincfg"
)

var regtestParams = &chaincfg.RegressionNetParams

// timeout returns a context bounded by d and cancelled at the test's end.
func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// generate builds a chain on node with a fresh wallet and returns both.
func generate(t *testing.T, node *regtest.Node, seed int64, spec regtest.Spec) (*regtest.Wallet, *regtest.ChainInfo) {
	t.Helper()
	w := regtest.NewWallet(seed, regtestParams)
	spec.Seed = seed
	info, err := regtest.Generate(timeout(t, 5*time.Minute), node, w, spec)
	if err != nil {
		t.Fatalf("generate chain: %v", err)
	}
	t.Logf("chain: height %d, %d confirmed txs, %d in mempool (depth %d), %d same-block spends, %s",
		info.Height, len(info.Confirmed), len(info.Mempool), info.MempoolDepth, info.SameBlockSpends, info.Elapsed.Round(time.Millisecond))
	return w, info
}

// buildModel reads the node's chain and mempool into a harness.Model.
func buildModel(t *testing.T, node *regtest.Node) *harness.Model {
	t.Helper()
	m, err := harness.BuildModel(timeout(t, 3*time.Minute), node)
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	return m
}

// mempoolScripts returns the script hashes with mempool entries.
func mempoolScripts(m *harness.Model) []string {
	var out []string
	for _, sh := range m.ScriptHashes() {
		if len(m.Mempool(sh)) > 0 {
			out = append(out, sh)
		}
	}
	return out
}

// waitCaughtUp waits until the server reports the model's tip and its
// mempool view matches the model for every mempool script.
func waitCaughtUp(t *testing.T, c *harness.Client, m *harness.Model) {
	t.Helper()
	ctx := timeout(t, 2*time.Minute)
	if err := harness.WaitTip(ctx, c, m); err != nil {
		t.Fatalf("amberd tip: %v", err)
	}
	if err := harness.WaitScripts(ctx, c, m, mempoolScripts(m)); err != nil {
		t.Fatalf("amberd mempool: %v", err)
	}
}

// checkAllScripts compares every script hash of the model over clients.
func checkAllScripts(t *testing.T, clients []*harness.Client, m *harness.Model) {
	t.Helper()
	shs := m.ScriptHashes()
	errs := harness.CheckScripts(timeout(t, 5*time.Minute), clients, m, shs, 10)
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) == 0 {
		t.Logf("%d script hashes match the model", len(shs))
	}
}

// dialN opens n client connections.
func dialN(t *testing.T, addr string, n int) []*harness.Client {
	t.Helper()
	cs := make([]*harness.Client, n)
	for i := range cs {
		cs[i] = harness.Dial(t, addr)
	}
	return cs
}

// mustJSON marshals v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
