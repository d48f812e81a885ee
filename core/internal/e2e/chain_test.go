package e2e

import (
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
)

// TestChainMatchesDaemon is the chain acceptance test: a regtest chain of
// more than 1,000 blocks and 20,000 transactions over more than 2,000
// scripts of all four types, with same-block spends and unconfirmed chains
// left in the mempool. Every script's get_history, get_mempool,
// get_balance, listunspent and subscribe status must equal the model;
// sampled transactions of every block must have merkle proofs that fold to
// the header's merkle root; headers and cp_height proofs must match the
// block hashes. It also checks version negotiation and server.features.
func TestChainMatchesDaemon(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	_, info := generate(t, node, 11, regtest.Spec{
		Blocks: 1000, TxPerBlock: 38, Scripts: 2200, SameBlockSpends: true,
		MempoolTxs: 60, HeavyScriptTxs: 400,
	})
	// Preconditions: the chain is as big and varied as the test claims.
	used := map[regtest.ScriptType]int{}
	for _, s := range info.UsedScripts() {
		used[s.Type]++
	}
	switch {
	case info.Height < 1000 || len(info.Confirmed) < 20000:
		t.Fatalf("chain too small: height %d, %d txs", info.Height, len(info.Confirmed))
	case len(info.UsedScripts()) < 2000:
		t.Fatalf("only %d scripts used", len(info.UsedScripts()))
	case info.SameBlockSpends == 0 || info.MempoolDepth < 2 || len(info.Mempool) == 0:
		t.Fatalf("no same-block spends (%d) or no unconfirmed chain (depth %d)", info.SameBlockSpends, info.MempoolDepth)
	}
	for _, ty := range regtest.AllScriptTypes {
		if used[ty] == 0 {
			t.Fatalf("no %s script used", ty)
		}
	}
	m := buildModel(t, node)
	if n := len(m.ScriptHashes()); n < 2000 {
		t.Fatalf("model has %d script hashes", n)
	}

	// The same chain and model, once per store engine.
	for _, engine := range harness.Engines() {
		t.Run(engine, func(t *testing.T) {
			start := time.Now()
			a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Engine: engine})
			t.Logf("amberd (%s) served after %s", engine, time.Since(start).Round(time.Millisecond))
			clients := dialN(t, a.TCPAddr(), 4)
			checkNegotiation(t, clients[0], clients[1], m)
			waitCaughtUp(t, clients[0], m)

			t.Run("scripts", func(t *testing.T) { checkAllScripts(t, clients, m) })
			t.Run("tx proofs", func(t *testing.T) { checkAllTxProofs(t, clients, m) })
			t.Run("headers", func(t *testing.T) { checkHeaders(t, clients[2], m) })
			t.Run("transaction.get", func(t *testing.T) { checkTransactionGet(t, clients[3], node, m) })
		})
	}
}

// checkTransactionGet compares transaction.get (raw) with the daemon's raw
// transaction for one transaction every 25 blocks and for mempool ones.
func checkTransactionGet(t *testing.T, c *harness.Client, node *regtest.Node, m *harness.Model) {
	ctx := timeout(t, 2*time.Minute)
	var ids []sdk.Hash
	for h := int64(1); h <= m.Tip(); h += 25 {
		txids := m.BlockTxids(h)
		ids = append(ids, txids[len(txids)-1])
	}
	ids = append(ids, m.MempoolTxids()[:min(5, len(m.MempoolTxids()))]...)
	for _, id := range ids {
		tx, err := node.GetRawTransaction(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := c.CallInto(ctx, &got, "blockchain.transaction.get", id.String()); err != nil {
			t.Fatal(err)
		}
		if got != regtest.TxHex(tx) {
			t.Errorf("transaction.get %s differs from the daemon's raw transaction", id)
		}
	}
}

// checkNegotiation negotiates 1.4.2 on c1 and Electrum 4.3.4's "1.4" on c2,
// and checks server.features against the model's genesis.
func checkNegotiation(t *testing.T, c1, c2 *harness.Client, m *harness.Model) {
	t.Helper()
	ctx := timeout(t, 30*time.Second)
	v, err := c1.Negotiate(ctx, "electrum/4.3.4", "1.4")
	if err != nil || len(v) != 2 || v[1] != "1.4" {
		t.Fatalf("server.version [electrum/4.3.4, 1.4] = %v, %v; want [..., \"1.4\"]", v, err)
	}
	var v142 []string
	if err := call(ctx, c2, &v142, "server.version", "e2e", []string{"1.4", "1.4.2"}); err != nil {
		t.Fatal(err)
	}
	if len(v142) != 2 || v142[1] != "1.4.2" {
		t.Fatalf("server.version [1.4, 1.4.2] = %v, want 1.4.2", v142)
	}
	var f struct {
		Hosts         map[string]map[string]int `json:"hosts"`
		Pruning       *int                      `json:"pruning"`
		ServerVersion string                    `json:"server_version"`
		ProtocolMin   string                    `json:"protocol_min"`
		ProtocolMax   string                    `json:"protocol_max"`
		GenesisHash   string                    `json:"genesis_hash"`
		HashFunction  string                    `json:"hash_function"`
		Services      []string                  `json:"services"`
	}
	if err := call(ctx, c2, &f, "server.features"); err != nil {
		t.Fatal(err)
	}
	if f.GenesisHash != m.BlockHash(0).String() || f.ProtocolMin != "1.4" || f.ProtocolMax != "1.6" ||
		f.HashFunction != "sha256" || f.ServerVersion != v142[0] || f.Pruning != nil || f.Hosts == nil {
		t.Errorf("server.features = %+v; want genesis %s, 1.4..1.6, sha256, server_version %q", f, m.BlockHash(0), v142[0])
	}
}
