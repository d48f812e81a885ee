package regtest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

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
