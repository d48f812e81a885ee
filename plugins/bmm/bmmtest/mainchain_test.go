package bmmtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/follow"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/sdk"
)

// smallRig is newRig with n coinbase-only sidechain blocks on S and a
// follower that logs to logs.
func smallRig(t *testing.T, ctx context.Context, n int) (*rig, *bytes.Buffer) {
	t.Helper()
	r := newRig(t, ctx)
	if _, err := r.S.Generate(ctx, n); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	r.fol = follow.New(r.b.Main.(follow.Mainchain), r.st, follow.Options{
		Sidechain: sidechainNumber, StartHeight: 1, CallTimeout: 3 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	r.b.Health = r.fol
	return r, logs
}

// build asks for the proof of the coinbase of sidechain block height.
func (r *rig) build(t *testing.T, ctx context.Context, height int64) (*proof.Result, error) {
	t.Helper()
	sh, err := r.S.GetBlockHash(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := r.S.GetBlock(ctx, sh)
	if err != nil {
		t.Fatal(err)
	}
	return r.b.Build(ctx, proof.Params{TxHash: sdk.Hash(sb.Transactions[0].TxHash()), Height: height})
}

// verified builds the proof of sidechain block height and checks it as a
// client does.
func (r *rig) verified(t *testing.T, ctx context.Context, height int64) *proof.Result {
	t.Helper()
	res, err := r.build(t, ctx, height)
	if err != nil {
		t.Fatalf("proof of sidechain block %d: %v", height, err)
	}
	hdr, _ := r.side.Header(ctx, height)
	sh, _ := r.S.GetBlockHash(ctx, height)
	sb, _ := r.S.GetBlock(ctx, sh)
	if err := proof.Verify(res, sdk.Hash(sb.Transactions[0].TxHash()), hdr, sidechainNumber); err != nil {
		t.Fatal(err)
	}
	return res
}

func (r *rig) wantNoAcceptErr(t *testing.T, ctx context.Context, height int64, when string) {
	t.Helper()
	_, err := r.build(t, ctx, height)
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), "no BMM Accept") {
		t.Fatalf("%s: sidechain block %d: %v, want no BMM Accept (BAD_REQUEST)", when, height, err)
	}
}

// TestBtcdShorterMainchain: btcd answers getblockhash past its tip with -1
// "Block number out of range"; a proof whose mainchain block is above the
// tip after a reorg that shortened the chain is "no BMM Accept"
// (BAD_REQUEST), not DAEMON_ERROR.
func TestBtcdShorterMainchain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, _ := smallRig(t, ctx, 3)
	if _, err := r.M.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	blk := submit(t, ctx, r.M, 1, bip301.Raw, r.accept(t, ctx, 2)) // M 3
	r.sync(t, ctx)
	r.verified(t, ctx, 2)

	// What btcd says past its tip, through the plugin's own client.
	_, err := r.b.Main.BlockHash(ctx, 50)
	var de *sdk.Error
	if !mainchain.IsHeightOutOfRange(err) || !asDaemon(err, &de) || de.DaemonCode != -1 || de.DaemonMessage != "Block number out of range" {
		t.Fatalf("btcd getblockhash past the tip: %v", err)
	}
	if err := r.M.InvalidateBlock(ctx, blk); err != nil { // tip back to 2
		t.Fatal(err)
	}
	if n, _ := r.M.GetBlockCount(ctx); n != 2 {
		t.Fatalf("M height %d after invalidateblock, want 2", n)
	}
	r.wantNoAcceptErr(t, ctx, 2, "mainchain shorter than the indexed block")
	if res := r.sync(t, ctx); res.Disconnected != 1 || res.Height != 2 {
		t.Fatalf("follow after the shortening %+v", res)
	}
	r.wantNoAcceptErr(t, ctx, 2, "after the follower caught up")
}

func asDaemon(err error, de **sdk.Error) bool {
	var e *sdk.Error
	ok := err != nil && errors.As(err, &e) && e.Kind == sdk.KindDaemon
	*de = e
	return ok
}

// TestBtcdSeveralAccepts: a mainchain block whose coinbase holds two BMM
// Accepts for our sidechain (raw and pushed) commits neither; the
// follower logs it once with the block hash in hex. A block with one
// Accept for us and one for another sidechain commits ours.
func TestBtcdSeveralAccepts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, logs := smallRig(t, ctx, 4)
	if _, err := r.M.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	a1, a2, a3 := r.accept(t, ctx, 1), r.accept(t, ctx, 2), r.accept(t, ctx, 3)
	twice := submit(t, ctx, r.M, 1, bip301.Raw, a1, a2) // M 2
	mixed := submitBlock(t, ctx, r.M, 2, false, bip301.Pushed, a3, a2, bip301.Accept{Sidechain: sidechainNumber + 1, HStar: a1.HStar})
	other := submit(t, ctx, r.M, 3, bip301.Raw, a3, bip301.Accept{Sidechain: sidechainNumber + 1, HStar: a1.HStar}) // M 4
	if res := r.sync(t, ctx); res.Refused != 2 || res.Height != 4 {
		t.Fatalf("follow %+v", res)
	}
	r.wantNoAcceptErr(t, ctx, 1, "accepted twice in one coinbase")
	r.wantNoAcceptErr(t, ctx, 2, "accepted in two coinbases that each accept two")
	if res := r.verified(t, ctx, 3); res.BMM.MainBlockHash != other.String() {
		t.Fatalf("h* of 3 proven in %s, want %s (the only block accepting it alone)", res.BMM.MainBlockHash, other)
	}
	r.sync(t, ctx)
	for _, h := range []sdk.Hash{twice, mixed} {
		if n := strings.Count(logs.String(), `"hash":"`+h.String()+`"`); n != 1 {
			t.Errorf("block %s logged %d times, want once:\n%s", h, n, logs.String())
		}
	}
}

// TestBtcdWitnessCoinbase: on a mainchain with segwit active, a block whose
// coinbase has a witness: the proof returns the coinbase with it, as the
// block carries it, and a client's txid check (non-witness) passes.
func TestBtcdWitnessCoinbase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, _ := smallRig(t, ctx, 2)
	for left := 432; left > 0; left -= 144 { // segwit active from height 432
		if _, err := r.M.Generate(ctx, min(left, 144)); err != nil {
			t.Fatal(err)
		}
	}
	blk := submitBlock(t, ctx, r.M, 1, true, bip301.Raw, r.accept(t, ctx, 1))
	r.sync(t, ctx)
	res := r.verified(t, ctx, 1)
	mb, err := r.M.GetBlock(ctx, blk)
	if err != nil {
		t.Fatal(err)
	}
	cb := mb.Transactions[0]
	if !cb.HasWitness() {
		t.Fatal("btcd's copy of the coinbase has no witness")
	}
	var with, without bytes.Buffer
	cb.Serialize(&with)
	cb.SerializeNoWitness(&without)
	if res.BMM.Coinbase != hex.EncodeToString(with.Bytes()) {
		t.Fatalf("coinbase %s\nwant the witness serialisation %x", res.BMM.Coinbase, with.Bytes())
	}
	// An independent client: decode, hash the non-witness form, climb the
	// branch to the header's merkle root.
	raw, _ := hex.DecodeString(res.BMM.Coinbase)
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if tx.TxHash() != cb.TxHash() || tx.WitnessHash() == tx.TxHash() || res.BMM.MainBlockHash != blk.String() {
		t.Fatalf("decoded coinbase txid %s, block's %s", tx.TxHash(), cb.TxHash())
	}
}

// countingMain counts the proof builder's mainchain calls.
type countingMain struct {
	proof.Mainchain
	n atomic.Int32
}

func (c *countingMain) BlockHash(ctx context.Context, h int64) (sdk.Hash, error) {
	c.n.Add(1)
	return c.Mainchain.BlockHash(ctx, h)
}

func (c *countingMain) Block(ctx context.Context, h sdk.Hash) (mainchain.Block, error) {
	c.n.Add(1)
	return c.Mainchain.Block(ctx, h)
}

// TestBtcdDeadNodeFailsFast: once the follower's poll failed against a
// stopped mainchain node, a request fails at once with DAEMON_ERROR and
// makes no mainchain call (it would otherwise wait mainchain_timeout);
// requests that need no mainchain call still answer.
func TestBtcdDeadNodeFailsFast(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, _ := smallRig(t, ctx, 3)
	if _, err := r.M.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, r.M, 1, bip301.Raw, r.accept(t, ctx, 1))
	r.sync(t, ctx)
	cm := &countingMain{Mainchain: r.b.Main}
	r.b.Main = cm
	r.b.MainTimeout = 10 * time.Minute // a request that waited would hold the test
	r.verified(t, ctx, 1)
	if r.fol.MainDown() != nil {
		t.Fatal("node reported down while up")
	}

	r.M.Stop()
	if _, err := r.fol.Sync(ctx); err == nil {
		t.Fatal("poll of a stopped node succeeded")
	}
	down := r.fol.MainDown()
	if sdk.KindOf(down) != sdk.KindUnavailable {
		t.Fatalf("MainDown after a failed poll: %v", down)
	}
	before := cm.n.Load()
	_, err := r.build(t, ctx, 1)
	if sdk.KindOf(err) != sdk.KindUnavailable || !strings.Contains(err.Error(), "mainchain node is down") {
		t.Fatalf("request while the node is down: %v", err)
	}
	if n := cm.n.Load() - before; n != 0 {
		t.Fatalf("%d mainchain calls while the node is known down", n)
	}
	r.wantNoAcceptErr(t, ctx, 2, "nothing indexed, node down")
}

// TestBtcdRestartRebuilds: the mainchain node restarts (btcd regtest wipes
// its chain) and builds a new, longer chain. From the restart on, no proof
// names a block of the old chain: before the follower notices, the
// re-check against the node refuses; after, the store is rebuilt from the
// start height and only the new chain's commitments are served.
func TestBtcdRestartRebuilds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, logs := smallRig(t, ctx, 4)
	if _, err := r.M.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	old := map[string]bool{}
	old[submit(t, ctx, r.M, 1, bip301.Raw, r.accept(t, ctx, 2)).String()] = true    // M 3
	old[submit(t, ctx, r.M, 2, bip301.Pushed, r.accept(t, ctx, 3)).String()] = true // M 4
	if _, err := r.M.Generate(ctx, 1); err != nil {                                 // M 5
		t.Fatal(err)
	}
	r.sync(t, ctx)
	r.verified(t, ctx, 2)
	r.verified(t, ctx, 3)

	// A client asking all along: no request that starts after the restart
	// may name an old block.
	var params []proof.Params
	for _, h := range []int64{2, 3} {
		sh, _ := r.S.GetBlockHash(ctx, h)
		sb, err := r.S.GetBlock(ctx, sh)
		if err != nil {
			t.Fatal(err)
		}
		params = append(params, proof.Params{TxHash: sdk.Hash(sb.Transactions[0].TxHash()), Height: h})
	}
	var restarted atomic.Bool
	stop := make(chan struct{})
	bad := make(chan string, 1)
	asked := make(chan int, 1)
	askedAfter := make(chan struct{}) // closed at the first request started after the restart
	go func() {
		n := 0
		defer func() { asked <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, p := range params {
				after := restarted.Load()
				res, err := r.b.Build(ctx, p)
				if after {
					if n++; n == 1 {
						close(askedAfter)
					}
				}
				if after && err == nil && old[res.BMM.MainBlockHash] {
					select {
					case bad <- fmt.Sprintf("sidechain block %d served from old block %s", p.Height, res.BMM.MainBlockHash):
					default:
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer func() {
		// The client may still be inside a call that began before the
		// restart: give it the test's time to start one after it.
		select {
		case <-askedAfter:
		case <-ctx.Done():
		}
		close(stop)
		n := <-asked
		select {
		case msg := <-bad:
			t.Errorf("background client: %s", msg)
		default:
		}
		if n == 0 && !t.Failed() {
			t.Error("background client asked nothing after the restart")
		}
	}()

	if err := r.M.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	restarted.Store(true)
	if n, err := r.M.GetBlockCount(ctx); err != nil || n != 0 {
		t.Fatalf("M after restart at %d (%v), want the genesis block", n, err)
	}
	// served checks that a request answers without naming an old block.
	served := func(height int64, when string) *proof.Result {
		res, err := r.build(t, ctx, height)
		if err == nil && old[res.BMM.MainBlockHash] {
			t.Fatalf("%s: served sidechain block %d from old mainchain block %s", when, height, res.BMM.MainBlockHash)
		}
		if err != nil && sdk.KindOf(err) != sdk.KindInvalidArgument {
			t.Fatalf("%s: sidechain block %d: %v", when, height, err)
		}
		return res
	}
	for _, h := range []int64{2, 3} {
		served(h, "right after the restart")
		r.wantNoAcceptErr(t, ctx, h, "right after the restart")
	}
	if _, err := r.M.Generate(ctx, 6); err != nil { // new chain up to 6, past the old 5
		t.Fatal(err)
	}
	for _, h := range []int64{2, 3} {
		r.wantNoAcceptErr(t, ctx, h, "new chain longer than the old one, not yet followed")
	}
	fresh := submit(t, ctx, r.M, 9, bip301.Raw, r.accept(t, ctx, 3)) // new M 7
	served(3, "new commitment not yet followed")
	res := r.sync(t, ctx)
	if res.Disconnected != 5 || res.Connected != 7 || res.Height != 7 {
		t.Fatalf("follow after the restart %+v", res)
	}
	if !strings.Contains(logs.String(), "rebuilding the BMM index") {
		t.Fatalf("no rebuild logged:\n%s", logs.String())
	}
	r.wantNoAcceptErr(t, ctx, 2, "after the rebuild")
	if got := r.verified(t, ctx, 3); got.BMM.MainBlockHash != fresh.String() || got.BMM.MainHeight != 7 {
		t.Fatalf("after the rebuild: proven in %s at %d, want %s at 7", got.BMM.MainBlockHash, got.BMM.MainHeight, fresh)
	}
	if n, e, _ := r.st.Len(); n != 7 || e != 1 {
		t.Fatalf("store holds %d blocks, %d entries, want 7, 1", n, e)
	}
}
