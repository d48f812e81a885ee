package admin

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
	"github.com/btcsuite/btcd/chaincfg"
)

// TestNodeDaemonURLAndReorg runs the real amberd, amber-bitcoind and
// amberctl against two connected btcd regtest nodes sharing one chain:
// amberd starts on node A; `amberctl daemon_url <B>` switches it to node B
// while a client session stays connected; node A is stopped and blocks are
// mined on B only, which amberd must follow (the same client sees the new
// tip). Then `amberctl reorg 3` must leave every answer equal to the model
// of B's chain, and `amberctl query` must agree with the model.
func TestNodeDaemonURLAndReorg(t *testing.T) {
	testenv.RequireBtcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	nodeA := harness.StartNode(t, regtest.NodeOptions{Listen: true})
	w := regtest.NewWallet(41, &chaincfg.RegressionNetParams)
	if _, err := regtest.Generate(ctx, nodeA, w, regtest.Spec{Seed: 41, Blocks: 125, TxPerBlock: 4, Scripts: 24}); err != nil {
		t.Fatalf("generate chain: %v", err)
	}
	nodeB, err := regtest.StartConnectedNode(ctx, nodeA, regtest.NodeOptions{})
	if err != nil {
		t.Fatalf("start node B: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node B output tail:\n%s", nodeB.Output())
		}
		nodeB.Stop()
	})
	tipA, err := nodeA.GetBestBlockHash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodeB.WaitForTip(ctx, tipA); err != nil {
		t.Fatalf("node B did not sync from A: %v", err)
	}
	m0, err := harness.BuildModel(ctx, nodeA)
	if err != nil {
		t.Fatal(err)
	}

	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: nodeA.URL(), WaitSynced: true})
	c := harness.Dial(t, a.TCPAddr())
	if _, err := c.Negotiate(ctx, "admin-node-test", "1.4"); err != nil {
		t.Fatal(err)
	}
	var hdr harness.Header
	if err := c.CallInto(ctx, &hdr, "blockchain.headers.subscribe"); err != nil {
		t.Fatal(err)
	}
	if err := harness.WaitTip(ctx, c, m0); err != nil {
		t.Fatal(err)
	}
	if out, code := a.Ctl("sessions"); code != 0 || !strings.Contains(out, "admin-node-test") {
		t.Errorf("amberctl sessions (exit %d) does not list the client:\n%s", code, out)
	}
	if info := getinfo(t, a); info["daemon"] != nodeA.HostPort()+"/" {
		t.Errorf("getinfo daemon %v, want %s/", info["daemon"], nodeA.HostPort())
	}

	// Switch to B, stop A, mine on B only.
	out, code := a.Ctl("daemon_url", nodeB.URL())
	if want := fmt.Sprintf("\"now using daemon at %s/\"\n", nodeB.HostPort()); code != 0 || out != want {
		t.Fatalf("amberctl daemon_url: exit %d, %q; want %q", code, out, want)
	}
	if info := getinfo(t, a); info["daemon"] != nodeB.HostPort()+"/" {
		t.Errorf("getinfo daemon after the switch %v, want %s/", info["daemon"], nodeB.HostPort())
	}
	if out, code := a.Ctl("daemon_url", "no-credentials:1"); code == 0 {
		t.Errorf("daemon_url with a bad URL succeeded: %q", out)
	}
	nodeA.Stop()
	if _, err := nodeB.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	m1, err := harness.BuildModel(ctx, nodeB)
	if err != nil {
		t.Fatal(err)
	}
	if m1.Tip() != m0.Tip()+2 {
		t.Fatalf("node B tip %d, want %d", m1.Tip(), m0.Tip()+2)
	}
	if err := waitHeaderNote(ctx, c, m1.Tip()); err != nil {
		t.Fatalf("client session after the switch: %v", err)
	}
	if err := harness.WaitTip(ctx, c, m1); err != nil {
		t.Fatalf("amberd does not follow node B: %v", err)
	}
	checkAll(ctx, t, c, m1)

	// reorg 3: undone, re-applied from B, answers as before.
	reorgsBefore := syncField(t, a, "reorgs")
	out, code = a.Ctl("reorg", "3")
	if code != 0 || out != "\"scheduled a reorg of 3 blocks\"\n" {
		t.Fatalf("amberctl reorg 3: exit %d, %q", code, out)
	}
	if got := syncField(t, a, "reorgs"); got != reorgsBefore+1 {
		t.Errorf("reorgs %v after reorg 3, want %v", got, reorgsBefore+1)
	}
	if err := harness.WaitTip(ctx, c, m1); err != nil {
		t.Fatalf("after reorg 3: %v", err)
	}
	checkAll(ctx, t, c, m1)
	checkQuery(t, a, m1)
	select {
	case <-c.Done():
		t.Error("the client session was closed")
	default:
	}
}

func getinfo(t *testing.T, a *harness.Amberd) map[string]any {
	t.Helper()
	out, code := a.Ctl("--json", "getinfo")
	var info map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil {
		t.Fatalf("amberctl --json getinfo: exit %d, %q", code, out)
	}
	return info
}

func syncField(t *testing.T, a *harness.Amberd, key string) float64 {
	t.Helper()
	am, _ := getinfo(t, a)[AmberKey].(map[string]any)
	sync, _ := am["sync"].(map[string]any)
	v, ok := sync[key].(float64)
	if !ok {
		t.Fatalf("getinfo %s.sync.%s missing: %v", AmberKey, key, am)
	}
	return v
}

// waitHeaderNote waits for a blockchain.headers.subscribe notification of
// height on c.
func waitHeaderNote(ctx context.Context, c *harness.Client, height int64) error {
	for {
		select {
		case n, ok := <-c.Notifications():
			if !ok {
				return fmt.Errorf("connection closed")
			}
			var hs []harness.Header
			if n.Method == "blockchain.headers.subscribe" && json.Unmarshal(n.Params, &hs) == nil && len(hs) == 1 && hs[0].Height == height {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("no header notification of height %d: %w", height, ctx.Err())
		}
	}
}

func checkAll(ctx context.Context, t *testing.T, c *harness.Client, m *harness.Model) {
	t.Helper()
	for _, err := range harness.CheckScripts(ctx, []*harness.Client{c}, m, m.ScriptHashes(), 10) {
		t.Error(err)
	}
}

// checkQuery compares `amberctl query` for a few scripts with the model.
func checkQuery(t *testing.T, a *harness.Amberd, m *harness.Model) {
	t.Helper()
	n := 0
	for _, sh := range m.ScriptHashes() {
		hist := m.ConfirmedHistory(sh)
		if len(hist) == 0 || n == 4 {
			continue
		}
		n++
		script := hex.EncodeToString(m.Script(sh))
		out, code := a.Ctl("query", script)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) < 3 || lines[0] != "Script: "+script {
			t.Errorf("amberctl query %s: exit %d\n%s", script, code, out)
			continue
		}
		var histLines []string
		for _, l := range lines {
			if strings.HasPrefix(l, "History #") {
				histLines = append(histLines, l)
			}
		}
		if len(histLines) != len(hist) {
			t.Errorf("query %s: %d history lines, model %d", script, len(histLines), len(hist))
		}
		for i, h := range hist {
			if i < len(histLines) && !strings.HasSuffix(histLines[i], " tx_hash "+h.TxHash) {
				t.Errorf("query %s: %q, model tx %s", script, histLines[i], h.TxHash)
			}
		}
		want := "Balance: " + CoinAmount(m.Balance(sh).Confirmed) + " XTN"
		if got := lines[len(lines)-1]; got != want {
			t.Errorf("query %s: %q, want %q", script, got, want)
		}
	}
	if n == 0 {
		t.Error("no script with history to query")
	}
}
