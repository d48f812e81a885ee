package testchain

import (
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"

	"github.com/amber-electrum/amber/plugins/bmm/bip301"
)

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
