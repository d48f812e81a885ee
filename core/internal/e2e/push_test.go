package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestChainEventsFromBtcd: with polling set to ten minutes, amberd still
// follows btcd at once, because the daemon plugin relays btcd's websocket
// notifications: a payment reaches a script-hash subscriber from the
// mempool, and the next block reaches the header and script-hash
// subscribers. The waits are bounded far below the poll interval.
func TestChainEventsFromBtcd(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := node.Generate(ctx, 101); err != nil {
		t.Fatal(err)
	}
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_MEMPOOL_POLL_INTERVAL": "10m"}})

	c := harness.Dial(t, a.TCPAddr())
	if _, err := c.Negotiate(ctx, "push-test", "1.4"); err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Height int64 `json:"height"`
	}
	if err := c.CallInto(ctx, &hdr, "blockchain.headers.subscribe"); err != nil || hdr.Height != 101 {
		t.Fatalf("headers.subscribe: height %d, %v", hdr.Height, err)
	}
	w := regtest.NewWallet(7, &chaincfg.RegressionNetParams)
	dest, err := w.Script(1, regtest.P2PKH)
	if err != nil {
		t.Fatal(err)
	}
	sh := harness.ScriptHash(dest.PkScript)
	if err := c.CallInto(ctx, new(any), "blockchain.scripthash.subscribe", sh); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, node); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Pay(ctx, node, []*wire.TxOut{wire.NewTxOut(50_000, dest.PkScript)}, 2); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, match func(harness.Notification) bool) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case n := <-c.Notifications():
				if match(n) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s within 60 s (poll interval 10 min): the chain event did not arrive\n%s", what, a.Logs())
			}
		}
	}
	scriptNote := func(n harness.Notification) bool {
		var p []any
		return n.Method == "blockchain.scripthash.subscribe" && json.Unmarshal(n.Params, &p) == nil &&
			len(p) == 2 && p[0] == sh && p[1] != nil
	}
	wait("script-hash notification for the mempool payment", scriptNote)

	if _, err := node.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	wait("header notification for block 102", func(n harness.Notification) bool {
		var p []struct {
			Height int64 `json:"height"`
		}
		return n.Method == "blockchain.headers.subscribe" && json.Unmarshal(n.Params, &p) == nil &&
			len(p) == 1 && p[0].Height == 102
	})
	wait("script-hash notification for the confirmation", scriptNote)

	out, code := a.Ctl("--json", "getinfo")
	var info struct {
		Amber struct {
			Sync struct {
				ChainEvents int64 `json:"chain events"`
			} `json:"sync"`
		} `json:"amber"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Amber.Sync.ChainEvents < 2 {
		t.Errorf("getinfo amber.sync: %d chain events (exit %d), want >= 2 (a transaction and a block)\n%s", info.Amber.Sync.ChainEvents, code, out)
	}
}
