package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestPluginKilledDaemonErrors kills the amber-bitcoind plugin with SIGKILL
// under a running amberd. Daemon pass-through methods must then fail with
// DAEMON_ERROR (2) instead of hanging, a confirmed transaction fetched before
// the kill must still be served from the transaction cache, index-served
// methods must still answer correctly, amberd must stay up and amberctl
// getinfo must work.
func TestPluginKilledDaemonErrors(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	_, info := generate(t, node, 41, regtest.Spec{Blocks: 120, TxPerBlock: 3, Scripts: 12})
	m := buildModel(t, node)
	// A restart delay longer than the test: the plugin stays down, as when
	// the crash-loop breaker has opened.
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGIN_RESTART_DELAY": "1h"}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	txid := info.Confirmed[0]
	rawTx, err := node.GetRawTransaction(timeout(t, time.Minute), txid)
	if err != nil {
		t.Fatal(err)
	}
	// Positive control: transaction.get works while the plugin lives.
	var hexTx string
	if err := c.CallInto(timeout(t, 30*time.Second), &hexTx, "blockchain.transaction.get", txid.String()); err != nil || hexTx != regtest.TxHex(rawTx) {
		t.Fatalf("transaction.get before the kill: %v", err)
	}

	pid, err := a.PluginPID()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin %d: %v", pid, err)
	}
	waitGone(t, pid)

	// The confirmed transaction fetched before the kill is answered from the
	// transaction cache (tx_cache_mb, on by default) while the plugin is down.
	hexTx = ""
	if err := c.CallInto(timeout(t, 30*time.Second), &hexTx, "blockchain.transaction.get", txid.String()); err != nil || hexTx != regtest.TxHex(rawTx) {
		t.Errorf("transaction.get of the tx fetched before the kill, with the plugin down: %v (got %d hex chars, want %d)",
			err, len(hexTx), len(regtest.TxHex(rawTx)))
	}

	// Daemon-bound calls for a transaction never requested before the kill
	// (so not in the cache) must fail with DAEMON_ERROR.
	uncached := info.Confirmed[len(info.Confirmed)-1]
	if uncached == txid {
		t.Fatalf("the chain has one confirmed transaction only: %s", txid)
	}
	daemonCalls := []struct {
		method string
		params []any
	}{
		{"blockchain.transaction.get", []any{uncached.String()}},
		{"blockchain.transaction.get", []any{uncached.String(), true}},
		{"blockchain.transaction.broadcast", []any{regtest.TxHex(rawTx)}},
		{"blockchain.estimatefee", []any{2}},
		{"blockchain.relayfee", []any{}},
	}
	for _, dc := range daemonCalls {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, rerr := c.Call(ctx, dc.method, dc.params...)
		cancel()
		checkErr(t, dc.method+" after plugin death", res, rerr, wantErr{2, "daemon error: ", prefix})
	}
	// The index still serves.
	ctx := timeout(t, time.Minute)
	shs := m.ScriptHashes()
	if errs := harness.CheckScripts(ctx, []*harness.Client{c}, m, shs, 5); len(errs) > 0 {
		t.Errorf("index-served answers after plugin death: %v", errs)
	}
	for _, h := range []int64{0, 1, m.Tip() / 2, m.Tip()} {
		var hdr string
		if err := c.CallInto(ctx, &hdr, "blockchain.block.header", h); err != nil || hdr != m.HeaderHex(h) {
			t.Errorf("block.header %d after plugin death: %v", h, err)
		}
	}
	if err := checkTxProofs(ctx, c, m, m.Tip()); err != nil {
		t.Errorf("tx proofs after plugin death: %v", err)
	}
	if !a.Alive() {
		t.Fatalf("amberd exited after its plugin died: %v", a.ExitErr())
	}
	if _, code := a.Ctl("getinfo"); code != 0 {
		t.Fatalf("amberctl getinfo exited %d", code)
	}
	out, code := a.Ctl("--json", "getinfo")
	if code != 0 {
		t.Fatalf("amberctl --json getinfo exited %d", code)
	}
	var gi map[string]any
	if err := json.Unmarshal([]byte(out), &gi); err != nil {
		t.Fatalf("amberctl getinfo output is not JSON: %v\n%s", err, out)
	}
	if pid, _ := gi["pid"].(float64); int(pid) != a.PID() {
		t.Errorf("getinfo pid %v, want %d", gi["pid"], a.PID())
	}
	if h, _ := gi["db height"].(float64); int64(h) != m.Tip() {
		t.Errorf("getinfo db height %v, want %d", gi["db height"], m.Tip())
	}
	// getinfo's amber.tx_cache counts the hit served while the plugin was
	// down and the misses around it; the default budget is tx_cache_mb 32.
	var tc struct {
		Amber struct {
			TxCache *struct {
				Lookups, Hits, Entries, Bytes int64
				LimitBytes                    int64 `json:"limit_bytes"`
			} `json:"tx_cache"`
		} `json:"amber"`
	}
	if err := json.Unmarshal([]byte(out), &tc); err != nil || tc.Amber.TxCache == nil {
		t.Fatalf("getinfo amber.tx_cache missing (%v)\n%s", err, out)
	}
	if x := tc.Amber.TxCache; x.Hits < 1 || x.Lookups < x.Hits+3 || x.Entries < 1 ||
		x.Bytes <= 0 || x.Bytes > x.LimitBytes || x.LimitBytes != 32<<20 {
		t.Errorf("getinfo amber.tx_cache %+v: want >= 1 hit, >= 3 misses (one before the kill, two after), >= 1 entry, 0 < bytes <= limit_bytes = 32 MiB", *x)
	}
}

// TestPluginRestartKeepsSessions kills the plugin under a running amberd
// with the default restart policy: while it is down, daemon-bound calls fail
// with DAEMON_ERROR (2) and nothing else; after the restart the same client
// connection gets answers again, and getinfo shows a new plugin process and
// one restart.
func TestPluginRestartKeepsSessions(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	_, info := generate(t, node, 43, regtest.Spec{Blocks: 110, TxPerBlock: 2, Scripts: 6})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGIN_RESTART_DELAY": "1s"}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	txid := info.Confirmed[0].String()

	oldPID, err := a.PluginPID()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin %d: %v", oldPID, err)
	}
	waitGone(t, oldPID)

	// Poll on the same connection until the restarted plugin answers. Every
	// answer on the way is either the transaction or DAEMON_ERROR.
	deadline := time.Now().Add(time.Minute)
	downAnswers := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, rerr := c.Call(ctx, "blockchain.transaction.get", txid)
		cancel()
		if rerr == nil {
			var hexTx string
			if err := json.Unmarshal(res, &hexTx); err != nil || hexTx == "" {
				t.Fatalf("transaction.get after restart: %s (%v)", res, err)
			}
			break
		}
		if rerr.Code != 2 {
			t.Fatalf("while the plugin restarts: code %d %q (err %v), want DAEMON_ERROR (2)", rerr.Code, rerr.Message, rerr.Err)
		}
		downAnswers++
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not come back within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d DAEMON_ERROR answers while the plugin restarted", downAnswers)

	out, code := a.Ctl("--json", "getinfo")
	if code != 0 {
		t.Fatalf("amberctl getinfo exited %d", code)
	}
	// Amber's extras sit under getinfo's "amber" key.
	var gi struct {
		Amber struct {
			Plugins []struct {
				Name     string `json:"name"`
				PID      int    `json:"pid"`
				State    string `json:"state"`
				Restarts int64  `json:"restarts"`
			} `json:"plugins"`
		} `json:"amber"`
	}
	if err := json.Unmarshal([]byte(out), &gi); err != nil || len(gi.Amber.Plugins) != 1 {
		t.Fatalf("getinfo plugins: %v\n%s", err, out)
	}
	p := gi.Amber.Plugins[0]
	if p.State != "running" || p.PID == 0 || p.PID == oldPID || p.Restarts != 1 {
		t.Errorf("after restart: plugin %+v, old pid %d", p, oldPID)
	}
	newPID, err := a.PluginPID()
	if err != nil || newPID != p.PID {
		t.Errorf("getinfo says pid %d, the process table %d (%v)", p.PID, newPID, err)
	}
	// The index kept following through the restart.
	if _, err := node.Generate(timeout(t, time.Minute), 1); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, c, buildModel(t, node))
}

// waitGone waits until pid no longer exists or is a zombie.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	ctx := timeout(t, 30*time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("process %d still running after SIGKILL", pid)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestKill9Resume kills amberd with SIGKILL during its initial sync of a
// few-hundred-block chain (480 blocks; as soon as its database file appears, then once
// more after a restart), restarts it on the same database and checks every
// answer against the model.
func TestKill9Resume(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 51, regtest.Spec{Blocks: 480, TxPerBlock: 25, Scripts: 150, SameBlockSpends: true, MempoolTxs: 8})
	m := buildModel(t, node)
	dbDir := filepath.Join(t.TempDir(), "db")
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), DBDir: dbDir})
	ctx := timeout(t, 4*time.Minute)
	for round := 1; round <= 2; round++ {
		waitFile(t, ctx, a, a.DBPath())
		if round == 2 {
			time.Sleep(300 * time.Millisecond) // let the second run write something first
		}
		served := canDial(a.TCPAddr())
		a.Kill()
		t.Logf("round %d: killed amberd (TCP already open: %v)", round, served)
		if err := a.Restart(ctx, round == 2); err != nil {
			t.Fatalf("restart after kill -9: %v\n%s", err, a.Logs())
		}
	}
	clients := dialN(t, a.TCPAddr(), 2)
	waitCaughtUp(t, clients[0], m)
	checkAllScripts(t, clients, m)
	checkAllTxProofs(t, clients, m)
	checkHeaders(t, clients[1], m)
}

// waitFile polls until path exists, failing if amberd exits first.
func waitFile(t *testing.T, ctx context.Context, a *harness.Amberd, path string) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-a.Done():
			t.Fatalf("amberd exited before creating %s: %v\n%s", path, a.ExitErr(), a.Logs())
		case <-ctx.Done():
			t.Fatalf("%s never appeared", path)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func canDial(addr string) bool {
	c, err := harness.DialContext(context.Background(), addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
