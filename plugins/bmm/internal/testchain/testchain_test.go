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
