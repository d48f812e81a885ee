package merkle

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// TestAgainstBtcd checks Branch, Fold and DoubleSHA256 against btcd's own
// merkle root and txid for blocks of 1 to 17 transactions.
func TestAgainstBtcd(t *testing.T) {
	for n := 1; n <= 17; n++ {
		var txs []*btcutil.Tx
		var ids []sdk.Hash
		for i := range n {
			tx := wire.NewMsgTx(1)
			tx.LockTime = uint32(i)
			txs = append(txs, btcutil.NewTx(tx))
			ids = append(ids, sdk.Hash(tx.TxHash()))
		}
		want := sdk.Hash(blockchain.CalcMerkleRoot(txs, false))
		for pos := range n {
			br, root := Branch(ids, pos)
			if root != want {
				t.Fatalf("n=%d pos=%d: root %s, btcd %s", n, pos, root, want)
			}
			if got := Fold(ids[pos], br, pos); got != want {
				t.Fatalf("n=%d pos=%d: folded %s, want %s", n, pos, got, want)
			}
			if pos > 0 && Fold(ids[pos], br, pos-1) == want && ids[pos] != ids[pos-1] {
				t.Fatalf("n=%d pos=%d: branch also proves position %d", n, pos, pos-1)
			}
		}
		var raw bytes.Buffer
		if err := txs[0].MsgTx().SerializeNoWitness(&raw); err != nil {
			t.Fatal(err)
		}
		if got := DoubleSHA256(raw.Bytes()); got != ids[0] {
			t.Fatalf("DoubleSHA256 of the tx %s, txid %s", got, ids[0])
		}
	}
}

func TestDisplayRoundTrip(t *testing.T) {
	br := []sdk.Hash{{1, 2}, {3}}
	got, err := ParseDisplay(Display(br))
	if err != nil || len(got) != 2 || got[0] != br[0] || got[1] != br[1] {
		t.Fatalf("round trip %v %v", got, err)
	}
	if Display(br)[0][62:] != "01" {
		t.Fatalf("not display order: %s", Display(br)[0])
	}
	if _, err := ParseDisplay([]string{"zz"}); err == nil {
		t.Fatal("bad hex accepted")
	}
}
