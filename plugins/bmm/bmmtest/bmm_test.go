package bmmtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/plugins/bmm/follow"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/sdk"
)

const sidechainNumber = 7

type rig struct {
	S, M *regtest.Node
	side nodeSide
	fol  *follow.Follower
	st   *store.Store
	b    *proof.Builder
}

func newRig(t *testing.T, ctx context.Context) *rig {
	t.Helper()
	r := &rig{S: regtest.StartTestNode(t, regtest.NodeOptions{}), M: regtest.StartTestNode(t, regtest.NodeOptions{})}
	r.side = nodeSide{r.S}
	main, rc, err := mainchain.Dial(r.M.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	r.st, err = store.Open(filepath.Join(t.TempDir(), "bmm.db"), store.Meta{Sidechain: sidechainNumber, StartHeight: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.Close() })
	r.fol = follow.New(main, r.st, follow.Options{Sidechain: sidechainNumber, StartHeight: 1})
	r.b = &proof.Builder{Side: r.side, Main: main, Index: r.st, Sidechain: sidechainNumber, MainTimeout: 20 * time.Second}
	return r
}

func (r *rig) sync(t *testing.T, ctx context.Context) follow.Result {
	t.Helper()
	res, err := r.fol.Sync(ctx)
	if err != nil {
		t.Fatalf("follow: %v", err)
	}
	return res
}

func (r *rig) accept(t *testing.T, ctx context.Context, height int64) bip301.Accept {
	t.Helper()
	h, err := r.S.GetBlockHash(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	return bip301.Accept{Sidechain: sidechainNumber, HStar: [32]byte(h)}
}

// checkProofs builds and checks the proof of every transaction of sidechain
// block height, expecting mainchain block mainHash.
func (r *rig) checkProofs(t *testing.T, ctx context.Context, height int64, mainHash sdk.Hash) {
	t.Helper()
	sh, err := r.S.GetBlockHash(ctx, height)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := r.S.GetBlock(ctx, sh)
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Transactions) < 3 {
		t.Fatalf("sidechain block %d has %d transactions; the chain generator put too few", height, len(sb.Transactions))
	}
	mb, err := r.M.GetBlock(ctx, mainHash)
	if err != nil {
		t.Fatal(err)
	}
	var sideHeader, mainHeader bytes.Buffer
	sb.Header.Serialize(&sideHeader)
	mb.Header.Serialize(&mainHeader)
	for pos, tx := range sb.Transactions {
		txid := sdk.Hash(tx.TxHash())
		res, err := r.b.Build(ctx, proof.Params{TxHash: txid, Height: height})
		if err != nil {
			t.Fatalf("proof of %s at %d: %v", txid, height, err)
		}
		// The client's verification, every step (docs/bmm.md).
		// 1. sidechain branch -> merkle root of the sidechain header.
		br, err := merkle.ParseDisplay(res.Merkle)
		if err != nil || res.Pos != pos || res.BlockHeight != height {
			t.Fatalf("pos %d height %d (%v), want %d %d", res.Pos, res.BlockHeight, err, pos, height)
		}
		if got := merkle.Fold(txid, br, res.Pos); got != sdk.Hash(sb.Header.MerkleRoot) {
			t.Fatalf("tx %d: branch gives root %s, header has %s", pos, got, sb.Header.MerkleRoot)
		}
		// 2. dSHA256(sidechain header) == h* == critical_hash.
		if hstar := merkle.DoubleSHA256(sideHeader.Bytes()); hstar != sh || res.BMM.CriticalHash != sh.String() {
			t.Fatalf("critical_hash %s, header hash %s, node says %s", res.BMM.CriticalHash, hstar, sh)
		}
		// 3. the coinbase holds a BMM Accept for our sidechain and h*.
		cbRaw, err := hex.DecodeString(res.BMM.Coinbase)
		if err != nil {
			t.Fatal(err)
		}
		var cbBuf bytes.Buffer
		mb.Transactions[0].Serialize(&cbBuf) // as the block carries it
		if !bytes.Equal(cbRaw, cbBuf.Bytes()) {
			t.Fatalf("coinbase is not the mainchain block's coinbase")
		}
		var cbTx wire.MsgTx
		if err := cbTx.Deserialize(bytes.NewReader(cbRaw)); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range bip301.ForSidechain(mb.Transactions[0], sidechainNumber) {
			found = found || sdk.Hash(f.HStar) == sh
		}
		if !found || res.BMM.SidechainNumber != sidechainNumber {
			t.Fatalf("coinbase has no BMM Accept for %s (sidechain %d)", sh, res.BMM.SidechainNumber)
		}
		// 4. coinbase txid + coinbase_merkle -> merkle root of main_header.
		cbBranch, err := merkle.ParseDisplay(res.BMM.CoinbaseMerkle)
		if err != nil {
			t.Fatal(err)
		}
		// The txid: the hash of the non-witness serialisation.
		var legacy bytes.Buffer
		cbTx.SerializeNoWitness(&legacy)
		if got := merkle.Fold(merkle.DoubleSHA256(legacy.Bytes()), cbBranch, 0); got != sdk.Hash(mb.Header.MerkleRoot) {
			t.Fatalf("coinbase branch gives %s, main header has %s", got, mb.Header.MerkleRoot)
		}
		// 5. dSHA256(main_header) == main_block_hash, on M's best chain.
		if res.BMM.MainHeader != hex.EncodeToString(mainHeader.Bytes()) || res.BMM.MainBlockHash != mainHash.String() ||
			merkle.DoubleSHA256(mainHeader.Bytes()) != mainHash {
			t.Fatalf("main header/hash %s %s, want block %s", res.BMM.MainHeader, res.BMM.MainBlockHash, mainHash)
		}
		if best, _ := r.M.GetBlockHash(ctx, res.BMM.MainHeight); best != mainHash {
			t.Fatalf("main_height %d holds %s on M, want %s", res.BMM.MainHeight, best, mainHash)
		}
		// And the packaged client check agrees.
		if err := proof.Verify(res, txid, sideHeader.Bytes(), sidechainNumber); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *rig) wantNoAccept(t *testing.T, ctx context.Context, height int64) {
	t.Helper()
	sh, _ := r.S.GetBlockHash(ctx, height)
	sb, err := r.S.GetBlock(ctx, sh)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.b.Build(ctx, proof.Params{TxHash: sdk.Hash(sb.Transactions[0].TxHash()), Height: height})
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), sh.String()) ||
		!strings.Contains(err.Error(), "no BMM Accept") {
		t.Fatalf("sidechain block %d: error %v, want no BMM Accept naming %s", height, err, sh)
	}
}

func TestTwoNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r := newRig(t, ctx)

	// Sidechain S: 106 blocks, transactions in 101-106.
	w := regtest.NewWallet(11, &chaincfg.RegressionNetParams)
	if _, err := regtest.Generate(ctx, r.S, w, regtest.Spec{
		Seed: 11, Blocks: 106, TxPerBlock: 4, Scripts: 8, Types: []regtest.ScriptType{regtest.P2PKH},
	}); err != nil {
		t.Fatal(err)
	}
	// Mainchain M: a few ordinary blocks, then commitments.
	if _, err := r.M.Generate(ctx, 3); err != nil {
		t.Fatal(err)
	}
	a102, a104, a105 := r.accept(t, ctx, 102), r.accept(t, ctx, 104), r.accept(t, ctx, 105)
	other := bip301.Accept{Sidechain: sidechainNumber + 1, HStar: a105.HStar}
	blkA := submit(t, ctx, r.M, 1, bip301.Raw, a102, other) // M height 4
	if _, err := r.M.Generate(ctx, 1); err != nil {         // 5
		t.Fatal(err)
	}
	blkB := submit(t, ctx, r.M, 2, bip301.Pushed, a104) // 6
	if res := r.sync(t, ctx); res.Height != 6 || res.Connected != 6 {
		t.Fatalf("follow %+v", res)
	}

	r.checkProofs(t, ctx, 102, blkA)
	r.checkProofs(t, ctx, 104, blkB)
	r.wantNoAccept(t, ctx, 103)
	r.wantNoAccept(t, ctx, 105) // accepted only for another sidechain number

	// A transaction asked at the wrong height: get_merkle's error.
	sb, _ := r.S.GetBlock(ctx, sdk.Hash(a102.HStar))
	txid := sdk.Hash(sb.Transactions[1].TxHash())
	_, err := r.b.Build(ctx, proof.Params{TxHash: txid, Height: 104})
	if sdk.KindOf(err) != sdk.KindInvalidArgument || err.Error() != "tx "+txid.String()+" not in block at height 104" {
		t.Fatalf("tx at the wrong height: %v", err)
	}

	// Mainchain reorg: invalidate the block committing 102 (and with it the
	// one committing 104), mine a longer competing branch without them.
	if err := r.M.InvalidateBlock(ctx, blkA); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 4; i++ {
		submit(t, ctx, r.M, 10+i, bip301.Raw)
	}
	// Refused at once (the indexed block left the best chain) ...
	r.wantNoAccept(t, ctx, 102)
	r.wantNoAccept(t, ctx, 104)
	// ... and the follower undoes the commitments.
	if res := r.sync(t, ctx); res.Disconnected != 3 || res.Connected != 4 || res.Height != 7 {
		t.Fatalf("follow after the reorg %+v", res)
	}
	if _, ok, _ := r.st.Lookup(sdk.Hash(a102.HStar)); ok {
		t.Fatal("commitment of 102 still indexed after the reorg")
	}
	r.wantNoAccept(t, ctx, 102)

	// Committed again in a new block: the proof works with that block.
	blkC := submit(t, ctx, r.M, 20, bip301.Raw, a102)
	r.sync(t, ctx)
	r.checkProofs(t, ctx, 102, blkC)
	r.wantNoAccept(t, ctx, 104)
}
