package regtest

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/testenv"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestNodeBasics(t *testing.T) {
	ctx := testCtx(t)
	n := StartTestNode(t, NodeOptions{User: "u1", Pass: "p1"})

	if want := "u1:p1@127.0.0.1:"; !strings.HasPrefix(n.URL(), want) || !strings.HasSuffix(n.URL(), ":"+strconv.Itoa(n.RPCPort())) {
		t.Fatalf("URL %q, want %s<port %d>", n.URL(), want, n.RPCPort())
	}
	if _, err := n.Call(ctx, "nosuchmethod"); RPCCode(err) != -32601 {
		t.Fatalf("unknown method: err %v (code %d), want code -32601", err, RPCCode(err))
	}
	bad := NewClient(n.HostPort(), "u1", "wrong")
	if _, err := bad.GetBlockCount(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad password: err %v, want an http 401 error", err)
	}

	hashes, err := n.Generate(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 3 {
		t.Fatalf("generate 3 returned %d hashes", len(hashes))
	}
	prev := *chaincfg.RegressionNetParams.GenesisHash
	for i, h := range hashes {
		got, err := n.GetBlockHash(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Fatalf("getblockhash %d = %s, generate said %s", i+1, got, h)
		}
		b, err := n.GetBlock(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if b.BlockHash() != [32]byte(h) || b.Header.PrevBlock != prev {
			t.Fatalf("block %d: hash %s prev %s, want %s prev %s", i+1, b.BlockHash(), b.Header.PrevBlock, h, prev)
		}
		// The coinbase pays the default mining address: the harness P2PKH.
		w := NewWallet(0, &chaincfg.RegressionNetParams)
		if s := w.Lookup(b.Transactions[0].TxOut[0].PkScript); s != w.MiningScript() {
			t.Fatalf("block %d coinbase pays %x, want the harness script %s", i+1, b.Transactions[0].TxOut[0].PkScript, w.MiningScript().Hex())
		}
		prev = b.BlockHash()
	}

	// Reorg helpers: invalidating block 2 drops the tip to 1.
	if err := n.InvalidateBlock(ctx, hashes[1]); err != nil {
		t.Fatal(err)
	}
	if c, err := n.GetBlockCount(ctx); err != nil || c != 1 {
		t.Fatalf("after invalidateblock: count %d, err %v; want 1", c, err)
	}
	if err := n.ReconsiderBlock(ctx, hashes[1]); err != nil {
		t.Fatal(err)
	}
	if c, err := n.GetBlockCount(ctx); err != nil || c != 3 {
		t.Fatalf("after reconsiderblock: count %d, err %v; want 3", c, err)
	}

	// A malformed transaction is a -22.
	if _, err := n.SendRawTx(ctx, wire.NewMsgTx(2)); RPCCode(err) != ErrCodeDeserialization {
		t.Fatalf("empty tx: err %v, want code %d", err, ErrCodeDeserialization)
	}

	// Restart wipes the regtest chain (btcd deletes its database on start).
	port := n.RPCPort()
	if err := n.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if n.RPCPort() != port {
		t.Fatalf("restart moved the port %d -> %d", port, n.RPCPort())
	}
	if c, err := n.GetBlockCount(ctx); err != nil || c != 0 {
		t.Fatalf("after restart: count %d, err %v; want 0 (chain wiped)", c, err)
	}

	n.Stop()
	n.Stop() // idempotent
	if _, err := n.GetBlockCount(ctx); err == nil {
		t.Fatal("RPC still answers after Stop")
	}
}

// TestWalletOnNode covers Sync, Pay and the segwit activation height the
// generator relies on: a P2WPKH spend is rejected at tip SegwitHeight-1 and
// accepted at SegwitHeight.
func TestWalletOnNode(t *testing.T) {
	ctx := testCtx(t)
	n := StartTestNode(t, NodeOptions{})
	w := NewWallet(21, &chaincfg.RegressionNetParams)
	if _, err := n.Generate(ctx, CoinbaseMaturity+1); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, n); err != nil {
		t.Fatal(err)
	}
	if w.Height() != CoinbaseMaturity+1 || len(w.UTXOs()) != CoinbaseMaturity+1 {
		t.Fatalf("after sync: height %d, %d utxos", w.Height(), len(w.UTXOs()))
	}
	dest, _ := w.Script(0, P2WPKH)
	tx, err := w.Pay(ctx, n, []*wire.TxOut{wire.NewTxOut(1e8, dest.PkScript)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := n.RawMempool(ctx)
	if err != nil || len(mp) != 1 || mp[0] != sdk.Hash(tx.TxHash()) {
		t.Fatalf("mempool %v (err %v), want [%s]", mp, err, tx.TxHash())
	}
	var entry struct {
		Fee  float64 `json:"fee"`
		Size int64   `json:"vsize"`
	}
	raw, err := n.Call(ctx, "getrawmempool", true)
	if err != nil {
		t.Fatal(err)
	}
	var verbose map[string]json.RawMessage
	if err := json.Unmarshal(raw, &verbose); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(verbose[tx.TxHash().String()], &entry); err != nil {
		t.Fatal(err)
	}
	if fee := int64(entry.Fee*1e8 + 0.5); fee != FeeFor(2, VSize(tx)) {
		t.Fatalf("node says fee %d sat, want %d (2 sat/vB x vsize %d)", fee, FeeFor(2, VSize(tx)), VSize(tx))
	}

	// Mine to SegwitHeight-1: the P2WPKH output cannot be spent yet.
	if _, err := n.Generate(ctx, SegwitHeight-1-CoinbaseMaturity-1); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, n); err != nil {
		t.Fatal(err)
	}
	u, ok := w.UTXO(wire.OutPoint{Hash: tx.TxHash(), Index: 0})
	if !ok || u.Height != CoinbaseMaturity+2 || w.Height() != SegwitHeight-1 {
		t.Fatalf("paid output %+v (found %v) at wallet height %d", u, ok, w.Height())
	}
	back := w.MiningScript()
	spend, _, err := CreateTx([]UTXO{u}, []*wire.TxOut{wire.NewTxOut(0, back.PkScript)}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.SendRawTx(ctx, spend); err == nil {
		t.Fatalf("witness spend accepted at tip %d, below SegwitHeight", SegwitHeight-1)
	}
	if _, err := n.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := n.SendRawTx(ctx, spend); err != nil {
		t.Fatalf("witness spend at tip %d: %v", SegwitHeight, err)
	}

	// Restart wipes the chain; Sync notices and resets the wallet.
	if err := n.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, n); err != nil {
		t.Fatal(err)
	}
	if w.Height() != 2 || len(w.UTXOs()) != 2 {
		t.Fatalf("after restart: height %d, %d utxos; want 2, 2", w.Height(), len(w.UTXOs()))
	}
}

// TestTwoNodes connects a second node to a first: blocks and transactions
// relay between them.
func TestTwoNodes(t *testing.T) {
	ctx := testCtx(t)
	a := StartTestNode(t, NodeOptions{Listen: true})
	if !strings.HasPrefix(a.P2PAddr(), "127.0.0.1:") {
		t.Fatalf("P2PAddr %q", a.P2PAddr())
	}
	b := startTestPeer(t, a)
	hashes, err := a.Generate(ctx, CoinbaseMaturity+1)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WaitForTip(ctx, hashes[len(hashes)-1]); err != nil {
		t.Fatal(err)
	}
	if c, err := b.ConnectionCount(ctx); err != nil || c < 1 {
		t.Fatalf("second node has %d peers (err %v)", c, err)
	}
	w := NewWallet(5, &chaincfg.RegressionNetParams)
	if err := w.Sync(ctx, b); err != nil {
		t.Fatal(err)
	}
	dest, _ := w.Script(1, P2PKH)
	tx, err := w.Pay(ctx, b, []*wire.TxOut{wire.NewTxOut(2e8, dest.PkScript)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for {
		mp, err := a.RawMempool(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(mp, sdk.Hash(tx.TxHash())) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("tx sent to the second node never reached the first")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func startTestPeer(t *testing.T, peer *Node) *Node {
	t.Helper()
	ctx := testCtx(t)
	n, err := StartConnectedNode(ctx, peer, NodeOptions{BtcdPath: testenv.RequireBtcd(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	if n.P2PAddr() == "" || n.P2PAddr() == peer.P2PAddr() {
		t.Fatalf("second node P2PAddr %q", n.P2PAddr())
	}
	return n
}
