package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// envLong enlarges the tests (20 kill points, a 60 s outage, bigger chains).
const envLong = "AMBER_LONG_TESTS"

// envSeed replays the kill points of a logged seed.
const envSeed = "AMBER_FAULTS_SEED"

func long() bool { return os.Getenv(envLong) == "1" }

// size picks the -short, default or AMBER_LONG_TESTS=1 value.
func size[T any](short, def, lng T) T {
	switch {
	case long():
		return lng
	case testing.Short():
		return short
	}
	return def
}

// forEngines runs fn as a subtest per store engine (harness.Engines).
func forEngines(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range harness.Engines() {
		t.Run(e, func(t *testing.T) { fn(t, e) })
	}
}

// perEngine picks def for the default engine, pebble, and bunt for
// buntdb: the suites run in full on pebble and smaller on buntdb, which
// keeps CI within its time (20 kill points on pebble, 5 on buntdb, with
// AMBER_LONG_TESTS=1).
func perEngine[T any](engine string, def, bunt T) T {
	if engine == store.EngineBunt {
		return bunt
	}
	return def
}

// newRand returns the test's random source, seeded from AMBER_FAULTS_SEED
// or the clock; the seed is logged so that a failure can be replayed.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv(envSeed); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSeed, s, err)
		}
		seed = v
	}
	t.Logf("random seed %d (replay with %s=%d)", seed, envSeed, seed)
	return rand.New(rand.NewPCG(uint64(seed), 0x616d626572))
}

// timeout returns a context bounded by d and cancelled at the test's end.
func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// generate builds spec on node with w (a fresh chain or more blocks).
func generate(t *testing.T, node *regtest.Node, w *regtest.Wallet, spec regtest.Spec) *regtest.ChainInfo {
	t.Helper()
	if spec.Seed == 0 {
		spec.Seed = w.Seed()
	}
	info, err := regtest.Generate(timeout(t, 5*time.Minute), node, w, spec)
	if err != nil {
		t.Fatalf("generate chain: %v", err)
	}
	t.Logf("chain: height %d, %d confirmed txs, %d in mempool, %s",
		info.Height, len(info.Confirmed), len(info.Mempool), info.Elapsed.Round(time.Millisecond))
	return info
}

// payableTypes has every script type, half of them P2PKH: below the segwit
// height only P2PKH outputs can be spent, so a chain generated with these
// leaves the wallet funds for later payments.
var payableTypes = []regtest.ScriptType{regtest.P2PKH, regtest.P2WPKH, regtest.P2PKH, regtest.P2SH, regtest.P2PKH, regtest.P2TR}

func newWallet(seed int64) *regtest.Wallet {
	return regtest.NewWallet(seed, &chaincfg.RegressionNetParams)
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
func waitCaughtUp(ctx context.Context, c *harness.Client, m *harness.Model) error {
	if err := harness.WaitTip(ctx, c, m); err != nil {
		return fmt.Errorf("amberd tip: %w", err)
	}
	if err := harness.WaitScripts(ctx, c, m, mempoolScripts(m)); err != nil {
		return fmt.Errorf("amberd mempool: %w", err)
	}
	return nil
}

// mustCatchUp is waitCaughtUp failing the test.
func mustCatchUp(t *testing.T, c *harness.Client, m *harness.Model, d time.Duration) {
	t.Helper()
	if err := waitCaughtUp(timeout(t, d), c, m); err != nil {
		t.Fatal(err)
	}
}

// checkAll compares every answer the index serves with the model: every
// script hash of shs (all five scripthash methods), every header, chunk and
// sampled checkpoint proof, and sampled transaction proofs of every block.
// Up to 10 mismatches are reported.
func checkAll(t *testing.T, clients []*harness.Client, m *harness.Model, shs []string) {
	t.Helper()
	if shs == nil {
		shs = m.ScriptHashes()
	}
	ctx := timeout(t, 5*time.Minute)
	errs := harness.CheckScripts(ctx, clients, m, shs, 10)
	if err := checkHeaders(ctx, clients[len(clients)-1], m); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkProofs(ctx, clients, m, 10)...)
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) == 0 {
		t.Logf("tip %d: %d script hashes, %d headers and the tx proofs of every block match the model", m.Tip(), len(shs), m.Tip()+1)
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

// syncInfo is admin getinfo's amber.sync object.
type syncInfo struct {
	Synced       bool    `json:"synced"`
	DBHeight     int64   `json:"db height"`
	DaemonHeight int64   `json:"daemon height"`
	Percent      float64 `json:"percent"`
	MempoolTxs   int64   `json:"mempool txs"`
	MempoolBytes int64   `json:"mempool bytes"`
	Reorgs       int64   `json:"reorgs"`
	Halted       bool    `json:"halted"`
	Error        string  `json:"error"`
}

// info is the part of admin getinfo these tests read.
type info struct {
	DaemonHeight int64 `json:"daemon height"`
	DBHeight     int64 `json:"db height"`
	Amber        struct {
		Sync    syncInfo `json:"sync"`
		Plugins []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"plugins"`
	} `json:"amber"`
	raw json.RawMessage
}

// getinfo calls the admin RPC's getinfo over a fresh connection to
// rpcAddr (the admin service speaks the same line-delimited JSON-RPC).
func getinfo(ctx context.Context, rpcAddr string) (*info, error) {
	c, err := harness.DialContext(ctx, rpcAddr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, rerr := c.Call(ctx, "getinfo")
	if rerr != nil {
		return nil, fmt.Errorf("getinfo: %w", rerr)
	}
	var gi info
	if err := json.Unmarshal(res, &gi); err != nil {
		return nil, fmt.Errorf("getinfo %.300s: %w", res, err)
	}
	gi.raw = res
	return &gi, nil
}

// mustGetinfo is getinfo failing the test.
func mustGetinfo(t *testing.T, a *harness.Amberd) *info {
	t.Helper()
	gi, err := getinfo(timeout(t, 30*time.Second), a.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	return gi
}

// union returns the sorted union of the models' script hashes.
func union(ms ...*harness.Model) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for _, sh := range m.ScriptHashes() {
			if !seen[sh] {
				seen[sh] = true
				out = append(out, sh)
			}
		}
	}
	return out
}

// resyncWallet rescans the node's chain into w (after a reorganisation)
// and applies the node's mempool in dependency order, so that w.Pay does
// not double-spend an unconfirmed transaction.
func resyncWallet(ctx context.Context, node *regtest.Node, w *regtest.Wallet) error {
	if err := w.Sync(ctx, node); err != nil {
		return err
	}
	ids, err := node.RawMempool(ctx)
	if err != nil {
		return err
	}
	pending := map[sdk.Hash]*wire.MsgTx{}
	for _, id := range ids {
		if pending[id], err = node.GetRawTransaction(ctx, id); err != nil {
			return err
		}
	}
	for len(pending) > 0 {
		n := len(pending)
		for id, tx := range pending {
			if !slices.ContainsFunc(tx.TxIn, func(in *wire.TxIn) bool { return pending[sdk.Hash(in.PreviousOutPoint.Hash)] != nil }) {
				w.AddTx(tx)
				delete(pending, id)
			}
		}
		if len(pending) == n {
			return errors.New("mempool has a dependency cycle")
		}
	}
	return nil
}

// payNew pays n new scripts of w (keys firstKey...) from w's funds.
func payNew(ctx context.Context, node *regtest.Node, w *regtest.Wallet, firstKey, n int) error {
	for i := range n {
		typ := regtest.P2PKH
		if w.Height() >= regtest.SegwitHeight {
			typ = regtest.AllScriptTypes[i%len(regtest.AllScriptTypes)]
		}
		s, err := w.Script(firstKey+i, typ)
		if err != nil {
			return err
		}
		if _, err := w.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(int64(30_000+i), s.PkScript)}, 2); err != nil {
			return err
		}
	}
	return nil
}
