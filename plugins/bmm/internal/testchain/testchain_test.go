package testchain

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
)

func TestFakeBlocksAreValid(t *testing.T) {
	f := NewFake()
	a := bip301.Accept{Sidechain: 4, HStar: [32]byte{7}}
	h1 := f.Mine(a)
	ctx := context.Background()
	b, err := f.Block(ctx, h1)
	if err != nil {
		t.Fatal(err)
	}
	blk := btcutil.NewBlock(b.MsgBlock)
	if err := blockchain.CheckProofOfWork(blk, chaincfg.RegressionNetParams.PowLimit); err != nil {
		t.Fatalf("proof of work: %v", err)
	}
	if root := blockchain.CalcMerkleRoot(blk.Transactions(), false); root != b.Header.MerkleRoot {
		t.Fatalf("merkle root %s, header %s", root, b.Header.MerkleRoot)
	}
	if got := bip301.ForSidechain(b.Transactions[0], 4); len(got) != 1 || got[0].Accept != a {
		t.Fatalf("accepts %+v", got)
	}
	f.Rewind(0)
	h1b := f.Mine()
	if h1b == h1 {
		t.Fatal("competing block has the same hash")
	}
	if got, _ := f.BlockHash(ctx, 1); got != h1b {
		t.Fatalf("best chain at 1 = %s, want %s", got, h1b)
	}
	if _, err := f.Block(ctx, h1); err != nil {
		t.Fatalf("stale block no longer fetchable: %v", err)
	}
}

// TestWitnessCommitment: btcd's own check accepts the commitment that
// MineWitness puts in the coinbase, and the accept is still found.
func TestWitnessCommitment(t *testing.T) {
	f := NewFake()
	a := bip301.Accept{Sidechain: 3, HStar: [32]byte{7}}
	h := f.MineWitness(a)
	b := f.byHash[h]
	if !b.Transactions[0].HasWitness() {
		t.Fatal("block has no witness data")
	}
	if err := blockchain.ValidateWitnessCommitment(btcutil.NewBlock(b)); err != nil {
		t.Fatalf("btcd rejects the witness commitment: %v", err)
	}
	if got := bip301.ForSidechain(b.Transactions[0], 3); len(got) != 1 || got[0].HStar != a.HStar {
		t.Fatalf("accepts %+v", got)
	}
	if b.Header.MerkleRoot != blockchain.CalcMerkleRoot(btcutil.NewBlock(b).Transactions(), false) {
		t.Fatal("merkle root does not match the txids")
	}
}
