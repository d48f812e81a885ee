package electrum

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// startPlugin runs the real amber-bitcoind binary (harness.Binaries) with
// go-plugin, configures it for daemonURL and returns its client adapter.
func startPlugin(t *testing.T, ctx context.Context, daemonURL string) sdk.ChainBackend {
	t.Helper()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hostside.Handshake,
		VersionedPlugins: hostside.PluginSets(),
		Cmd:              exec.Command(harness.Binaries(t).Plugin),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start plugin: %v", err)
	}
	raw, err := rpc.Dispense(hostside.PluginChain)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	chain := raw.(sdk.ChainBackend)
	cfg := fmt.Sprintf(`{"daemon_url":%q,"network":"regtest"}`, daemonURL)
	if err := chain.Configure(ctx, []byte(cfg)); err != nil {
		t.Fatalf("configure plugin: %v", err)
	}
	return chain
}

// TestBroadcastPackageBtcd: a parent and its child, built with the regtest
// wallet, sent as one package by a 1.6 client through a real session, the
// real bitcoind plugin process and a real btcd (sequential fallback: btcd has
// no submitpackage); both land in btcd's mempool. Then mempool.get_info, and
// a 1.4 session on the same server that still has relayfee.
func TestBroadcastPackageBtcd(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	coin, parent, child, dest := chainedPair(t, ctx, node)

	srv := New(Options{Daemon: startPlugin(t, ctx, node.URL()), ServerVersion: "Amber test"})
	mgr := session.NewManager(nil)
	call := func(conn *pipeConn, id int, method, params string) string {
		t.Helper()
		conn.in <- []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params))
		return conn.next(t)
	}
	serve := func() *pipeConn {
		conn := newPipeConn()
		done := make(chan struct{})
		go func() { mgr.Serve(ctx, conn, srv, session.Profile{}); close(done) }()
		t.Cleanup(func() { close(conn.in); <-done })
		return conn
	}

	c16 := serve()
	if got := call(c16, 1, "server.version", `["pkg-test", ["1.4", "1.6"]]`); got != `{"jsonrpc":"2.0","result":["Amber test","1.6"],"id":1}` {
		t.Fatalf("negotiation: %s", got)
	}
	pkg, _ := json.Marshal([]any{[]string{regtest.TxHex(parent), regtest.TxHex(child)}})
	if got := call(c16, 2, "blockchain.transaction.broadcast_package", string(pkg)); got != `{"jsonrpc":"2.0","result":{"success":true},"id":2}` {
		t.Fatalf("broadcast_package: %s", got)
	}
	mem, err := node.RawMempool(ctx)
	if err != nil || len(mem) != 2 || !slices.Contains(mem, sdk.Hash(parent.TxHash())) || !slices.Contains(mem, sdk.Hash(child.TxHash())) {
		t.Fatalf("btcd mempool after the package: %v, %v", mem, err)
	}

	// The same package again, verbose: already known counts as accepted,
	// and the answer imitates submitpackage.
	vpkg, _ := json.Marshal([]any{[]string{regtest.TxHex(parent), regtest.TxHex(child)}, true})
	got := call(c16, 3, "blockchain.transaction.broadcast_package", string(vpkg))
	if !strings.Contains(got, `"package_msg":"success"`) || !strings.Contains(got, parent.TxHash().String()) {
		t.Fatalf("verbose: %s", got)
	}

	// A double spend of the coinbase is rejected per transaction.
	rival, _, err := regtest.CreateTx([]regtest.UTXO{coin}, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	rpkg, _ := json.Marshal([]any{[]string{regtest.TxHex(rival)}})
	got = call(c16, 4, "blockchain.transaction.broadcast_package", string(rpkg))
	if !strings.Contains(got, `"success":false`) || !strings.Contains(got, `"txid":"`+rival.TxHash().String()+`"`) {
		t.Fatalf("double spend: %s", got)
	}

	got = call(c16, 5, "mempool.get_info", `[]`)
	var info struct {
		Result map[string]float64 `json:"result"`
	}
	if json.Unmarshal([]byte(got), &info) != nil || len(info.Result) != 3 || info.Result["minrelaytxfee"] <= 0 ||
		info.Result["mempoolminfee"] != info.Result["minrelaytxfee"] || info.Result["incrementalrelayfee"] != info.Result["minrelaytxfee"] {
		t.Fatalf("mempool.get_info on btcd: %s", got)
	}
	if got := call(c16, 6, "blockchain.relayfee", `[]`); !strings.Contains(got, `"code":-32601`) {
		t.Fatalf("relayfee in 1.6: %s", got)
	}

	c14 := serve()
	call(c14, 1, "server.version", `["electrum/4.3.4", "1.4"]`)
	relay := call(c14, 2, "blockchain.relayfee", `[]`)
	var rf struct {
		Result float64 `json:"result"`
	}
	if json.Unmarshal([]byte(relay), &rf) != nil || rf.Result != info.Result["minrelaytxfee"] {
		t.Fatalf("1.4 relayfee %s, 1.6 minrelaytxfee %v", relay, info.Result["minrelaytxfee"])
	}
	// session.py broadcast_package: every transaction of a package the
	// daemon did not refuse as a whole counts, rejected ones included.
	if n := srv.Stats().TxsSent.Load(); n != 5 {
		t.Errorf("txs sent %d, want 5 (2 + 2 already known + 1 rejected)", n)
	}
}

// chainedPair mines 101 blocks and builds, with the regtest wallet, a parent
// spending a mature coinbase and a child spending the parent, both paying
// the returned P2PKH script; coin is the coinbase output spent.
func chainedPair(t *testing.T, ctx context.Context, node *regtest.Node) (regtest.UTXO, *wire.MsgTx, *wire.MsgTx, *regtest.Script) {
	t.Helper()
	if _, err := node.Generate(ctx, 101); err != nil {
		t.Fatal(err)
	}
	w := regtest.NewWallet(1, &chaincfg.RegressionNetParams)
	if err := w.Sync(ctx, node); err != nil {
		t.Fatal(err)
	}
	dest, err := w.Script(0, regtest.P2PKH) // P2PKH: witness spends wait for height 431
	if err != nil {
		t.Fatal(err)
	}
	var coin regtest.UTXO
	for _, u := range w.UTXOs() {
		if u.Spendable(w.Height()) {
			coin = u
			break
		}
	}
	if coin.Value == 0 {
		t.Fatal("no mature coinbase in the wallet")
	}
	parent, _, err := regtest.CreateTx([]regtest.UTXO{coin}, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	w.AddTx(parent)
	out, ok := w.UTXO(*wire.NewOutPoint(ptr(parent.TxHash()), 0))
	if !ok {
		t.Fatal("wallet did not pick up the parent's output")
	}
	child, _, err := regtest.CreateTx([]regtest.UTXO{out}, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	return coin, parent, child, dest
}

// TestBroadcastPackageAmberd: the same package through a real amberd (its
// plugin host forwarding the optional interfaces); the two transactions
// then show up in the scripthash's mempool as amberd indexes them.
func TestBroadcastPackageAmberd(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, parent, child, dest := chainedPair(t, ctx, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true})

	c := harness.Dial(t, a.TCPAddr())
	if v, err := c.Negotiate(ctx, "e2e", "1.6"); err != nil || len(v) != 2 || v[1] != "1.6" {
		t.Fatalf("server.version 1.6 = %v, %v", v, err)
	}
	res, rerr := c.Call(ctx, "blockchain.transaction.broadcast_package", []string{regtest.TxHex(parent), regtest.TxHex(child)})
	if rerr != nil || string(res) != `{"success":true}` {
		t.Fatalf("broadcast_package = %s, %v", res, rerr)
	}
	want := []string{parent.TxHash().String(), child.TxHash().String()}
	for {
		var mem []struct {
			TxHash string `json:"tx_hash"`
			Height int64  `json:"height"`
		}
		if err := c.CallInto(ctx, &mem, "blockchain.scripthash.get_mempool", ScripthashOf(dest.PkScript)); err != nil {
			t.Fatal(err)
		}
		if len(mem) == 2 {
			got := map[string]int64{mem[0].TxHash: mem[0].Height, mem[1].TxHash: mem[1].Height}
			if got[want[0]] != 0 || got[want[1]] != -1 || len(got) != 2 {
				t.Fatalf("mempool %+v, want parent at 0 and child at -1", mem)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the package never reached amberd's mempool: %+v", mem)
		case <-time.After(100 * time.Millisecond):
		}
	}
	var info map[string]float64
	if err := c.CallInto(ctx, &info, "mempool.get_info"); err != nil || len(info) != 3 || info["minrelaytxfee"] <= 0 {
		t.Fatalf("mempool.get_info = %v, %v", info, err)
	}
	if _, rerr := c.Call(ctx, "blockchain.relayfee"); rerr == nil {
		t.Fatal("relayfee answered in 1.6")
	}

	old := harness.Dial(t, a.TCPAddr())
	if v, err := old.Negotiate(ctx, "electrum/4.3.4", "1.4"); err != nil || v[1] != "1.4" {
		t.Fatalf("electrum 4.3.4 negotiation = %v, %v", v, err)
	}
	var relay float64
	if err := old.CallInto(ctx, &relay, "blockchain.relayfee"); err != nil || relay != info["minrelaytxfee"] {
		t.Fatalf("1.4 relayfee = %v, %v (1.6 minrelaytxfee %v)", relay, err, info["minrelaytxfee"])
	}
}

func ptr[T any](v T) *T { return &v }
