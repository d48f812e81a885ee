package e2e

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

type electrumBalance struct {
	Confirmed   int64 `json:"confirmed"`
	Unconfirmed int64 `json:"unconfirmed"`
}

// TestOperatorPythonHostServices loads examples/python-plugin (built on
// sdk/python/amber_plugin) into a real amberd over a chain with mempool
// transactions: hello.py_height answers the tip and hello.py_balance, read
// through the host service Balance over go-plugin's broker and mutual TLS,
// answers exactly what blockchain.scripthash.get_balance answers for every
// script, mempool spends included.
func TestOperatorPythonHostServices(t *testing.T) {
	testenv.RequirePythonPlugin(t)
	_, file, _, _ := runtime.Caller(0)
	launcher := filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "python-plugin", "hello-plugin")
	node := harness.StartNode(t, regtest.NodeOptions{})
	_, info := generate(t, node, 71, regtest.Spec{Blocks: 110, TxPerBlock: 3, Scripts: 8, MempoolTxs: 4})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGINS__PYHELLO__PATH": launcher}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)

	var height int64
	if err := c.CallInto(timeout(t, 30*time.Second), &height, "hello.py_height"); err != nil || height != m.Tip() {
		t.Fatalf("hello.py_height = %d, %v; want the tip %d", height, err, m.Tip())
	}

	// Wait until amberd's mempool holds the generated transactions.
	var scripts []string
	for _, s := range info.UsedScripts() {
		scripts = append(scripts, s.ScriptHash().String())
	}
	deadline := time.Now().Add(time.Minute)
	for {
		moved := 0
		for _, sh := range scripts {
			var b electrumBalance
			if err := c.CallInto(timeout(t, 30*time.Second), &b, "blockchain.scripthash.get_balance", sh); err != nil {
				t.Fatal(err)
			}
			if b.Unconfirmed != 0 {
				moved++
			}
		}
		if moved > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no script has an unconfirmed balance after a minute (%d mempool txs generated)", len(info.Mempool))
		}
		time.Sleep(200 * time.Millisecond)
	}

	negative := 0
	for _, sh := range scripts {
		var core, py electrumBalance
		if err := c.CallInto(timeout(t, 30*time.Second), &core, "blockchain.scripthash.get_balance", sh); err != nil {
			t.Fatal(err)
		}
		if err := c.CallInto(timeout(t, 30*time.Second), &py, "hello.py_balance", sh); err != nil {
			t.Fatalf("hello.py_balance(%s): %v", sh, err)
		}
		if core != py {
			t.Errorf("script %s: get_balance %+v, hello.py_balance (host service Balance) %+v", sh, core, py)
		}
		if core.Unconfirmed < 0 {
			negative++
		}
	}
	t.Logf("%d scripts compared, %d with a mempool spend (negative unconfirmed)", len(scripts), negative)
	if _, rerr := c.Call(timeout(t, 30*time.Second), "hello.py_balance", "zz"); rerr == nil || rerr.Code != 1 {
		t.Errorf("hello.py_balance of a bad hash: %v, want BAD_REQUEST (1) from KIND_INVALID_ARGUMENT", rerr)
	}
}
