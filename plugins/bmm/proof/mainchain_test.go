package proof

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/sdk"
)

// hookMain wraps the fake mainchain: it counts getblockhash calls and can
// run a function right after getblock (a reorg between two calls) or
// replace getblock's answer.
type hookMain struct {
	Mainchain
	hashCalls  atomic.Int32
	afterBlock func()
	blockErr   error
}

func (h *hookMain) BlockHash(ctx context.Context, height int64) (sdk.Hash, error) {
	h.hashCalls.Add(1)
	return h.Mainchain.BlockHash(ctx, height)
}

func (h *hookMain) Block(ctx context.Context, hash sdk.Hash) (mainchain.Block, error) {
	if h.blockErr != nil {
		err := h.blockErr
		if h.afterBlock != nil {
			h.afterBlock()
		}
		return mainchain.Block{}, err
	}
	b, err := h.Mainchain.Block(ctx, hash)
	if h.afterBlock != nil {
		h.afterBlock()
	}
	return b, err
}

func isNoAccept(err error) bool {
	return sdk.KindOf(err) == sdk.KindInvalidArgument && strings.Contains(err.Error(), "no BMM Accept")
}

// TestMainchainShorter: the best chain got shorter than the indexed block.
// bitcoind answers getblockhash with -8, btcd with -1 "Block number out of
// range"; both are "no BMM Accept" (BAD_REQUEST), not DAEMON_ERROR. Another
// -1 from btcd stays a daemon error.
func TestMainchainShorter(t *testing.T) {
	for _, tc := range []struct {
		name string
		btcd bool
	}{{"bitcoind", false}, {"btcd", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.main.Btcd = tc.btcd
			e.main.Mine()
			e.main.Mine(e.accept(1)) // 2
			e.sync(t)
			e.main.Rewind(1) // the follower has not seen it yet
			_, err := e.build(1, 0)
			if !isNoAccept(err) {
				t.Fatalf("indexed block above the tip: %v", err)
			}
			// What the node said, to be sure the fake answered as that node.
			_, herr := e.main.BlockHash(context.Background(), 2)
			var de *sdk.Error
			if !errors.As(herr, &de) || (tc.btcd && de.DaemonCode != -1) || (!tc.btcd && de.DaemonCode != -8) {
				t.Fatalf("fake answered %v", herr)
			}
		})
	}
	e := newEnv(t)
	e.main.Mine(e.accept(1))
	e.sync(t)
	e.main.Fail = sdk.DaemonError(-1, "Command unimplemented")
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindDaemon {
		t.Fatalf("other btcd -1: %v", err)
	}
}

// TestReorgBetweenCalls: the indexed block is best when getblockhash is
// asked, then a reorg replaces it before (or while) getblock answers. The
// proof must not name it.
func TestReorgBetweenCalls(t *testing.T) {
	e := newEnv(t)
	e.main.Mine()
	e.main.Mine(e.accept(1)) // 2
	e.main.Mine()            // 3
	e.sync(t)
	h := &hookMain{Mainchain: e.main}
	e.b.Main = h
	if _, err := e.build(1, 0); err != nil {
		t.Fatalf("before the reorg: %v", err)
	}
	if n := h.hashCalls.Load(); n != 2 {
		t.Fatalf("getblockhash called %d times, want 2 (before and after getblock)", n)
	}
	reorg := func() {
		e.main.Rewind(1)
		e.main.Mine()
		e.main.Mine()
		e.main.Mine()
	}
	h.afterBlock = reorg
	if _, err := e.build(1, 0); !isNoAccept(err) {
		t.Fatalf("block reorganised away between the calls was served: %v", err)
	}
	// Reorg that makes the chain shorter between the calls (btcd's answer).
	e = newEnv(t)
	e.main.Btcd = true
	e.main.Mine()
	e.main.Mine(e.accept(1))
	e.sync(t)
	e.b.Main = &hookMain{Mainchain: e.main, afterBlock: func() { e.main.Rewind(1) }}
	if _, err := e.build(1, 0); !isNoAccept(err) {
		t.Fatalf("shortened between the calls: %v", err)
	}
	// getblock "Block not found" because the node lost the block (restart):
	// the re-check sees another best chain, so no BMM Accept.
	e.b.Main = &hookMain{Mainchain: e.main, blockErr: sdk.DaemonError(-5, "Block not found"),
		afterBlock: func() { e.main.Rewind(0); e.main.Mine(); e.main.Mine() }}
	e.main.Rewind(1)
	e.main.Mine(e.accept(1))
	e.sync(t)
	if _, err := e.build(1, 0); !isNoAccept(err) {
		t.Fatalf("block lost by the node: %v", err)
	}
	// A daemon error on getblock while the block is still best stays a
	// daemon error.
	e.main.Rewind(1)
	e.main.Mine(e.accept(1))
	e.sync(t)
	e.b.Main = &hookMain{Mainchain: e.main, blockErr: sdk.DaemonError(-32603, "internal")}
	if _, err := e.build(1, 0); sdk.KindOf(err) != sdk.KindDaemon {
		t.Fatalf("getblock error: %v", err)
	}
}

// health is a fake follower health.
type health struct{ down error }

func (h *health) MainDown() error { return h.down }

// TestFailFastWhenDown: with the follower's last poll failed, a request
// fails at once with DAEMON_ERROR and makes no mainchain call; with the
// node up but slow, the request waits MainTimeout for it.
func TestFailFastWhenDown(t *testing.T) {
	e := newEnv(t)
	e.main.Mine(e.accept(1))
	e.sync(t)
	hl := &health{down: sdk.Errorf(sdk.KindUnavailable, "daemon unavailable: connection refused")}
	e.b.Health = hl
	before := e.main.Calls
	_, err := e.build(1, 0)
	if sdk.KindOf(err) != sdk.KindUnavailable || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("node down: %v", err)
	}
	if e.main.Calls != before {
		t.Fatalf("%d mainchain calls while the node is known down", e.main.Calls-before)
	}
	// Nothing indexed: still BAD_REQUEST (the answer does not need the node).
	if _, err := e.build(2, 0); !isNoAccept(err) {
		t.Fatalf("no accept while down: %v", err)
	}
	hl.down = nil
	if _, err := e.build(1, 0); err != nil {
		t.Fatalf("node up again: %v", err)
	}

	synctest.Test(t, func(t *testing.T) {
		e.b.Main = slowMain{}
		e.b.MainTimeout = 10 * time.Second
		start := time.Now()
		_, err := e.build(1, 0)
		if sdk.KindOf(err) != sdk.KindUnavailable {
			t.Fatalf("slow node: %v", err)
		}
		if waited := time.Since(start); waited != 10*time.Second {
			t.Fatalf("waited %v for a slow node, want the 10s timeout", waited)
		}
	})
}

// slowMain never answers before the context ends.
type slowMain struct{}

func (slowMain) BlockHash(ctx context.Context, _ int64) (sdk.Hash, error) {
	<-ctx.Done()
	return sdk.Hash{}, sdk.Errorf(sdk.KindUnavailable, "daemon unavailable: %w", ctx.Err())
}

func (slowMain) Block(ctx context.Context, _ sdk.Hash) (mainchain.Block, error) {
	<-ctx.Done()
	return mainchain.Block{}, ctx.Err()
}

// TestWitnessCoinbase: a coinbase with a witness is returned with it, as
// the block carries it; the client's txid (non-witness) check passes.
func TestWitnessCoinbase(t *testing.T) {
	e := newEnv(t)
	e.main.MineWitness(e.accept(1))
	e.sync(t)
	r, err := e.build(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := e.main.Block(context.Background(), mustHash(t, r.BMM.MainBlockHash))
	var with, without bytes.Buffer
	blk.Transactions[0].Serialize(&with)
	blk.Transactions[0].SerializeNoWitness(&without)
	if with.Len() == without.Len() {
		t.Fatal("test coinbase has no witness")
	}
	if r.BMM.Coinbase != hex.EncodeToString(with.Bytes()) {
		t.Fatalf("coinbase %s, want the block's witness serialisation", r.BMM.Coinbase)
	}
	hdr, _ := e.side.Header(context.Background(), 1)
	if err := Verify(r, e.side.txid(1, 3), hdr, sc); err != nil {
		t.Fatal(err)
	}
	// The branch starts from the txid, not the wtxid.
	var tx wire.MsgTx
	raw, _ := hex.DecodeString(r.BMM.Coinbase)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil || tx.TxHash() != blk.Transactions[0].TxHash() || tx.WitnessHash() == tx.TxHash() {
		t.Fatalf("coinbase decodes to txid %s (%v)", tx.TxHash(), err)
	}
}

// TestMultipleAccepts: a coinbase with two Accepts for our sidechain
// accepts none; a proof built on such a block would not verify.
func TestMultipleAccepts(t *testing.T) {
	e := newEnv(t)
	e.main.Mine(e.accept(1), e.accept(2))                                                // 1: two for our sidechain
	e.main.Mine(e.accept(3), bip301.Accept{Sidechain: sc + 1, HStar: e.accept(4).HStar}) // 2: one each
	e.sync(t)
	for _, h := range []int64{1, 2} {
		if _, err := e.build(h, 0); !isNoAccept(err) {
			t.Fatalf("sidechain block %d of a doubly-accepting coinbase: %v", h, err)
		}
	}
	if _, err := e.build(3, 0); err != nil {
		t.Fatalf("single accept next to another sidechain's: %v", err)
	}
	// The client's check refuses such a coinbase too.
	r, _ := e.build(3, 0)
	blk, _ := e.main.Block(context.Background(), mustHash(t, r.BMM.MainBlockHash))
	cb := blk.Transactions[0].Copy()
	cb.AddTxOut(e.accept(5).TxOut(bip301.Pushed))
	var buf bytes.Buffer
	cb.Serialize(&buf)
	r.BMM.Coinbase = hex.EncodeToString(buf.Bytes())
	hdr, _ := e.side.Header(context.Background(), 3)
	if err := Verify(r, e.side.txid(3, 0), hdr, sc); err == nil || !strings.Contains(err.Error(), "2 BMM Accepts") {
		t.Fatalf("Verify of a doubly-accepting coinbase: %v", err)
	}
}

func mustHash(t *testing.T, s string) sdk.Hash {
	t.Helper()
	h, err := sdk.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestShorterOverJSONRPC: the same as TestMainchainShorter with the
// daemons' replies going through the plugin's JSON-RPC client (the fake
// answers as bitcoind or btcd would, over HTTP).
func TestShorterOverJSONRPC(t *testing.T) {
	for _, btcd := range []bool{false, true} {
		e := newEnv(t)
		e.main.Btcd = btcd
		srv := httptest.NewServer(e.main.Handler())
		t.Cleanup(srv.Close)
		mc, rc, err := mainchain.Dial("u:p@"+strings.TrimPrefix(srv.URL, "http://"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rc.Close)
		e.b.Main = mc
		e.main.Mine()
		e.main.Mine(e.accept(1))
		e.sync(t)
		if _, err := e.build(1, 0); err != nil {
			t.Fatalf("btcd=%v: %v", btcd, err)
		}
		_, herr := mc.BlockHash(context.Background(), 9)
		if !mainchain.IsHeightOutOfRange(herr) {
			t.Fatalf("btcd=%v: reply past the tip %v", btcd, herr)
		}
		e.main.Rewind(1)
		if _, err := e.build(1, 0); !isNoAccept(err) {
			t.Fatalf("btcd=%v: shorter chain over JSON-RPC: %v", btcd, err)
		}
	}
}

func TestVerifyRejectsTrailingCoinbaseBytes(t *testing.T) {
	e := newEnv(t)
	e.main.Mine(e.accept(1))
	e.sync(t)
	r, err := e.build(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.BMM.Coinbase += "00"
	hdr, _ := e.side.Header(context.Background(), 1)
	if err := Verify(r, e.side.txid(1, 0), hdr, sc); err == nil || !strings.Contains(err.Error(), "after the transaction") {
		t.Fatalf("coinbase with a trailing byte: %v", err)
	}
}
