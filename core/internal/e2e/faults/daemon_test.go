package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
)

// requestTimeout is the REQUEST_TIMEOUT amberd runs with behind the proxy.
const requestTimeout = 3 * time.Second

// daemonFixture is amberd behind a fault proxy in front of btcd.
type daemonFixture struct {
	node    *regtest.Node
	w       *regtest.Wallet
	proxy   *Proxy
	a       *harness.Amberd
	clients []*harness.Client
	fresh   []sdk.Hash // confirmed txids not asked for yet (no cache can answer)
	nextKey int
}

// txid returns a confirmed txid amberd has not been asked about.
func (f *daemonFixture) txid(t *testing.T) sdk.Hash {
	t.Helper()
	if len(f.fresh) == 0 {
		t.Fatal("out of unrequested txids")
	}
	id := f.fresh[0]
	f.fresh = f.fresh[1:]
	return id
}

// mine pays 2 new scripts, mines a block, and leaves one new payment in
// the mempool, talking to btcd directly (behind amberd's back).
func (f *daemonFixture) mine(t *testing.T) *harness.Model {
	t.Helper()
	ctx := timeout(t, time.Minute)
	if err := payNew(ctx, f.node, f.w, f.nextKey, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := f.node.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.w.Sync(ctx, f.node); err != nil {
		t.Fatal(err)
	}
	if err := payNew(ctx, f.node, f.w, f.nextKey+2, 1); err != nil {
		t.Fatal(err)
	}
	f.nextKey += 3
	return buildModel(t, f.node)
}

// setMode switches the proxy.
func (f *daemonFixture) setMode(t *testing.T, m Mode) {
	t.Helper()
	if err := f.proxy.SetMode(timeout(t, 10*time.Second), m); err != nil {
		t.Fatal(err)
	}
	t.Logf("proxy: %s", m)
}

// wantDaemonError asks for two fresh transactions and a broadcast and
// wants each to fail with DAEMON_ERROR (2), within a generous multiple of
// REQUEST_TIMEOUT, with a message containing want (if not empty). A daemon
// that answers the broadcast with an RPC error has rejected the
// transaction: broadcastCode is the code expected then (1, as ElectrumX).
func (f *daemonFixture) wantDaemonError(t *testing.T, raw, want string, broadcastCode int) {
	t.Helper()
	for _, q := range []struct {
		method string
		params []any
		code   int
	}{
		{"blockchain.transaction.get", []any{f.txid(t).String()}, 2},
		{"blockchain.transaction.get", []any{f.txid(t).String(), true}, 2},
		{"blockchain.transaction.broadcast", []any{raw}, broadcastCode},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*requestTimeout)
		res, rerr := f.clients[0].Call(ctx, q.method, q.params...)
		cancel()
		switch {
		case rerr == nil:
			t.Errorf("%s during the fault answered %.100s, want error %d", q.method, res, q.code)
		case rerr.Err != nil:
			t.Errorf("%s during the fault: no answer within %s: %v", q.method, 5*requestTimeout, rerr.Err)
		case rerr.Code != q.code:
			t.Errorf("%s during the fault: error %d %q, want %d", q.method, rerr.Code, rerr.Message, q.code)
		case want != "" && !strings.Contains(rerr.Message, want):
			t.Errorf("%s during the fault: message %q does not contain %q", q.method, rerr.Message, want)
		default:
			t.Logf("%s during the fault: %d %.120q", q.method, rerr.Code, rerr.Message)
		}
	}
}

// wantTx checks that blockchain.transaction.get of a fresh txid answers
// the node's raw transaction.
func (f *daemonFixture) wantTx(t *testing.T) {
	t.Helper()
	ctx := timeout(t, 5*requestTimeout)
	id := f.txid(t)
	tx, err := f.node.GetRawTransaction(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := f.clients[0].CallInto(ctx, &got, "blockchain.transaction.get", id.String()); err != nil || got != regtest.TxHex(tx) {
		t.Errorf("transaction.get %s: %v (hex equal %v)", id, err, got == regtest.TxHex(tx))
	}
}

// pollInfo polls getinfo until ok accepts it or ctx ends; it returns the
// last answer.
func pollInfo(ctx context.Context, a *harness.Amberd, ok func(*info) bool) (*info, bool) {
	var last *info
	for {
		// getinfo must answer even while the daemon is away.
		gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		gi, err := getinfo(gctx, a.RPCAddr())
		cancel()
		if err == nil {
			last = gi
			if ok(gi) {
				return gi, true
			}
		}
		select {
		case <-ctx.Done():
			return last, false
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// TestDaemonFaults puts a fault proxy between amberd (REQUEST_TIMEOUT 3 s)
// and btcd and, while blocks and transactions keep arriving at btcd:
//
//   - outage: the proxy refuses connections (10 s, 60 s with
//     AMBER_LONG_TESTS=1). Index-served answers must equal the pre-outage
//     model, transaction.get and broadcast must fail with DAEMON_ERROR (2)
//     within a few REQUEST_TIMEOUTs, getinfo must answer and show the
//     daemon error; afterwards amberd catches up and equals the new model.
//   - slow: every daemon reply is delayed 2 s; amberd must catch up, answer
//     transaction.get correctly and equal the model.
//   - errors: HTTP 500 with a JSON-RPC error, then HTTP 200 garbage:
//     DAEMON_ERROR for transaction.get (naming the daemon's message for the
//     former; broadcast is then a rejection, code 1, as in ElectrumX),
//     index answers unchanged, getinfo shows the daemon's error, then
//     recovery to the new model.
func TestDaemonFaults(t *testing.T) { forEngines(t, testDaemonFaults) }

func testDaemonFaults(t *testing.T, engine string) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	w := newWallet(71)
	chain := generate(t, node, w, regtest.Spec{Blocks: size(120, 140, 240), TxPerBlock: 4, Scripts: 30, MempoolTxs: 3, Types: payableTypes})
	proxy, err := StartProxy(timeout(t, 10*time.Second), node.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	a := harness.StartAmberd(t, harness.AmberdOptions{Engine: engine, DaemonURL: proxy.URL(node.URL()), WaitSynced: true,
		Env: map[string]string{"REQUEST_TIMEOUT": "3"}})
	f := &daemonFixture{node: node, w: w, proxy: proxy, a: a, clients: dialN(t, a.TCPAddr(), 2),
		fresh: chain.Confirmed, nextKey: 7000}
	m := buildModel(t, node)
	mustCatchUp(t, f.clients[0], m, 2*time.Minute)
	checkAll(t, f.clients, m, nil)
	// A transaction the daemon rejects when it is up (already confirmed):
	// during a fault, broadcasting it must fail with DAEMON_ERROR instead.
	rawTx, err := node.GetRawTransaction(timeout(t, time.Minute), f.txid(t))
	if err != nil {
		t.Fatal(err)
	}
	raw := regtest.TxHex(rawTx)

	outage := perEngine(engine, size(10*time.Second, 10*time.Second, 60*time.Second), 10*time.Second)
	t.Run("outage", func(t *testing.T) {
		f.setMode(t, Refuse)
		end := time.Now().Add(outage)
		m1 := f.mine(t)
		checkAll(t, f.clients, m, union(m, m1))
		f.wantDaemonError(t, raw, "", 2)
		ctx, cancel := context.WithDeadline(context.Background(), end)
		gi, shown := pollInfo(ctx, a, func(gi *info) bool { return gi.Amber.Sync.Error != "" })
		cancel()
		if gi == nil {
			t.Fatal("admin getinfo did not answer during the outage")
		}
		t.Logf("getinfo during the outage: daemon height %d, amber.sync %+v, plugins %+v", gi.DaemonHeight, gi.Amber.Sync, gi.Amber.Plugins)
		if !shown {
			t.Errorf("getinfo shows nothing of a %s daemon outage: amber.sync.error is empty (sync %+v)", outage, gi.Amber.Sync)
		}
		<-time.After(time.Until(end))
		f.setMode(t, Pass)
		mustCatchUp(t, f.clients[0], m1, 2*time.Minute)
		checkAll(t, f.clients, m1, union(m, m1))
		f.wantTx(t)
		if gi := mustGetinfo(t, a); gi.Amber.Sync.Error != "" || gi.DaemonHeight != m1.Tip() {
			t.Errorf("getinfo after recovery: daemon height %d (want %d), error %q (want none)", gi.DaemonHeight, m1.Tip(), gi.Amber.Sync.Error)
		}
		m = m1
	})
	t.Run("slow", func(t *testing.T) {
		proxy.SetDelay(2 * time.Second)
		f.setMode(t, Slow)
		m1 := f.mine(t)
		mustCatchUp(t, f.clients[0], m1, 3*time.Minute)
		f.wantTx(t)
		checkAll(t, f.clients, m1, union(m, m1))
		f.setMode(t, Pass)
		m = m1
	})
	t.Run("errors", func(t *testing.T) {
		f.setMode(t, HTTPError)
		m1 := f.mine(t)
		checkAll(t, f.clients, m, union(m, m1))
		f.wantDaemonError(t, raw, InjectedMessage, 1)
		gi, shown := pollInfo(timeout(t, 30*time.Second), a, func(gi *info) bool {
			return strings.Contains(gi.Amber.Sync.Error, InjectedMessage)
		})
		if !shown {
			t.Errorf("getinfo does not show the daemon's error %q: amber.sync %+v", InjectedMessage, gi)
		}
		f.setMode(t, Garbage)
		f.wantDaemonError(t, raw, "", 2)
		checkAll(t, f.clients, m, union(m, m1))
		if !a.Alive() {
			t.Fatalf("amberd exited: %v", a.ExitErr())
		}
		f.setMode(t, Pass)
		mustCatchUp(t, f.clients[0], m1, 2*time.Minute)
		checkAll(t, f.clients, m1, union(m, m1))
		f.wantTx(t)
		m = m1
	})
}
