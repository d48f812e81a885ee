package faults

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// reorgLimit is the REORG_LIMIT the reorg test runs amberd with.
const reorgLimit = 10

// reorgNode makes node switch to a new branch that replaces the last depth
// blocks of m: invalidateblock at the first of them, depth+1 new blocks
// (re-mining the disconnected transactions at other heights), then two new
// payments mined in one more block and one left in the mempool. It returns
// the model of the new chain.
func reorgNode(t *testing.T, node *regtest.Node, w *regtest.Wallet, m *harness.Model, depth, firstKey int) *harness.Model {
	t.Helper()
	ctx := timeout(t, 2*time.Minute)
	fork := m.Tip() - int64(depth) + 1
	if err := node.InvalidateBlock(ctx, m.BlockHash(fork)); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Generate(ctx, depth+1); err != nil {
		t.Fatal(err)
	}
	if err := resyncWallet(ctx, node, w); err != nil {
		t.Fatal(err)
	}
	if err := payNew(ctx, node, w, firstKey, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := resyncWallet(ctx, node, w); err != nil {
		t.Fatal(err)
	}
	if err := payNew(ctx, node, w, firstKey+2, 1); err != nil {
		t.Fatal(err)
	}
	m1 := buildModel(t, node)
	if m1.Tip() != m.Tip()+2 || m1.BlockHash(fork) == m.BlockHash(fork) || m1.BlockHash(fork-1) != m.BlockHash(fork-1) {
		t.Fatalf("node did not reorganise at %d: tip %d (was %d)", fork, m1.Tip(), m.Tip())
	}
	t.Logf("reorg of %d blocks at height %d: tip %d -> %d, %d scripts changed status",
		depth, fork, m.Tip(), m1.Tip(), len(m1.ChangedScripts(m)))
	return m1
}

// TestReorgs reorganises the node's chain under a running amberd
// (REORG_LIMIT 10) by 1, 6 and 10 blocks; after each, every answer for
// every script of the old and the new chain, every header and the tx proofs
// of every block must equal the model, and getinfo must count the reorg.
// Then a reorg of 11 blocks: amberd must refuse it (halted, a log line and
// getinfo's error naming REORG_LIMIT), keep its old tip, and answer exactly
// as before the reorg, never with the new branch's blocks, headers or
// transactions.
func TestReorgs(t *testing.T) { forEngines(t, testReorgs) }

func testReorgs(t *testing.T, engine string) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	w := newWallet(61)
	generate(t, node, w, regtest.Spec{Blocks: size(125, 160, 260), TxPerBlock: size(4, 6, 12), Scripts: 40,
		SameBlockSpends: true, MempoolTxs: 4, Types: payableTypes})
	a := harness.StartAmberd(t, harness.AmberdOptions{Engine: engine, DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"REORG_LIMIT": strconv.Itoa(reorgLimit)}})
	clients := dialN(t, a.TCPAddr(), 2)
	m := buildModel(t, node)
	mustCatchUp(t, clients[0], m, 2*time.Minute)

	var reorgs int64
	for i, depth := range []int{1, 6, reorgLimit} {
		ok := t.Run(fmt.Sprintf("depth %d", depth), func(t *testing.T) {
			m1 := reorgNode(t, node, w, m, depth, 5000+10*i)
			mustCatchUp(t, clients[0], m1, 2*time.Minute)
			checkAll(t, clients, m1, union(m, m1))
			gi := mustGetinfo(t, a)
			if s := gi.Amber.Sync; s.Reorgs <= reorgs || s.Halted || s.DBHeight != m1.Tip() {
				t.Errorf("getinfo after a %d-block reorg: %+v, want reorgs > %d, not halted, db height %d", depth, s, reorgs, m1.Tip())
			}
			reorgs = gi.Amber.Sync.Reorgs
			m = m1
		})
		if !ok {
			t.FailNow()
		}
	}
	t.Run("deeper than REORG_LIMIT", func(t *testing.T) {
		m0 := m
		reorgNode(t, node, w, m0, reorgLimit+1, 6000)
		gi := waitHalted(t, a)
		if e := gi.Amber.Sync.Error; !strings.Contains(e, "REORG_LIMIT") {
			t.Errorf("getinfo amber.sync.error = %q, want the reason naming REORG_LIMIT", e)
		}
		if gi.DBHeight != m0.Tip() {
			t.Errorf("getinfo db height %d, want the old tip %d", gi.DBHeight, m0.Tip())
		}
		if logs := a.Logs(); !strings.Contains(logs, "index stopped following the chain") || !strings.Contains(logs, "REORG_LIMIT") {
			t.Errorf("no log line about the refused reorg naming REORG_LIMIT")
		}
		// More blocks on the new branch change nothing.
		if _, err := node.Generate(timeout(t, time.Minute), 2); err != nil {
			t.Fatal(err)
		}
		checkOldState(t, clients, m0, buildModel(t, node), true)
		if !a.Alive() {
			t.Fatalf("amberd exited: %v", a.ExitErr())
		}

		// A restart on the same database must not serve the new branch
		// either: either it serves the old state, or it does not serve.
		ctx := timeout(t, 2*time.Minute)
		if err := a.Restart(ctx, false); err != nil {
			t.Fatal(err)
		}
		gi = waitHalted(t, a)
		if gi.DBHeight != m0.Tip() {
			t.Errorf("after restart: getinfo db height %d, want %d", gi.DBHeight, m0.Tip())
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.WaitReady(rctx)
		cancel()
		if err != nil {
			t.Errorf("after a restart with the daemon on a deeper fork, amberd halts (%q) and never opens its "+
				"Electrum service: it serves nothing instead of its last consistent state (%v)", gi.Amber.Sync.Error, err)
			return
		}
		// Restarted, it has no mempool view (the daemon's mempool belongs
		// to the other branch): the confirmed state must be the old one.
		checkOldState(t, dialN(t, a.TCPAddr(), 2), m0, buildModel(t, node), false)
	})
}

// waitHalted polls admin getinfo until amber.sync.halted.
func waitHalted(t *testing.T, a *harness.Amberd) *info {
	t.Helper()
	ctx := timeout(t, 2*time.Minute)
	for {
		gi, err := getinfo(ctx, a.RPCAddr())
		if err == nil && gi.Amber.Sync.Halted {
			t.Logf("halted: %+v", gi.Amber.Sync)
			return gi
		}
		select {
		case <-ctx.Done():
			t.Fatalf("amberd never reported amber.sync.halted (last getinfo %v, err %v)", gi, err)
		case <-a.Done():
			t.Fatalf("amberd exited instead of halting: %v", a.ExitErr())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkOldState checks that amberd answers exactly as model old (its last
// consistent state) for every script of old and of the daemon's new chain
// cur, and serves none of cur's new blocks or transactions. Without
// mempool, amberd must have no mempool view and the confirmed part of
// old's answers.
func checkOldState(t *testing.T, clients []*harness.Client, old, cur *harness.Model, mempool bool) {
	t.Helper()
	ctx := timeout(t, time.Minute)
	c := clients[0]
	if mempool {
		checkAll(t, clients, old, union(old, cur))
	} else {
		checkConfirmed(t, c, old, union(old, cur))
		if err := checkHeaders(ctx, c, old); err != nil {
			t.Error(err)
		}
		for _, err := range checkProofs(ctx, clients, old, 10) {
			t.Error(err)
		}
	}
	for h := old.Tip() + 1; h <= cur.Tip(); h++ {
		if res, rerr := c.Call(ctx, "blockchain.block.header", h); rerr == nil {
			t.Errorf("block.header %d above the old tip %d answered %s", h, old.Tip(), res)
		}
	}
	fork := int64(0)
	for fork <= old.Tip() && old.BlockHash(fork) == cur.BlockHash(fork) {
		fork++
	}
	if id := txOnlyIn(cur, old, fork); id != nil {
		h, _, _ := cur.TxPos(*id)
		if res, rerr := c.Call(ctx, "blockchain.transaction.get_merkle", id.String(), h); rerr == nil {
			t.Errorf("get_merkle of the new branch's tx %s at %d answered %s", id, h, res)
		}
	} else {
		t.Errorf("the new branch has no transaction the old chain lacks; the check proves nothing")
	}
}

// checkConfirmed checks get_history and get_balance of every script in
// shs against the confirmed part of m (an empty mempool view).
func checkConfirmed(t *testing.T, c *harness.Client, m *harness.Model, shs []string) {
	t.Helper()
	ctx := timeout(t, time.Minute)
	bad := 0
	for _, sh := range shs {
		var hist []harness.HistoryEntry
		var bal harness.Balance
		err := call(ctx, c, &hist, "blockchain.scripthash.get_history", sh)
		if err == nil {
			err = call(ctx, c, &bal, "blockchain.scripthash.get_balance", sh)
		}
		want := m.ConfirmedHistory(sh)
		if err != nil || len(hist) != len(want) || (len(want) > 0 && !reflect.DeepEqual(hist, want)) ||
			bal != (harness.Balance{Confirmed: m.Balance(sh).Confirmed}) {
			if bad++; bad <= 10 {
				t.Errorf("%s: history %v balance %+v (%v), want the confirmed history %v, balance %d", sh, hist, bal, err, want, m.Balance(sh).Confirmed)
			}
		}
	}
}
