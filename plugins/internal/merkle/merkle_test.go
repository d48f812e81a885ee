package merkle

import (
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// TestAgainstBtcd checks roots and branches against btcd's own merkle code
// for every block size up to 17 and every position.
func TestAgainstBtcd(t *testing.T) {
	for n := 1; n <= 17; n++ {
		var txs []*btcutil.Tx
		var ids []sdk.Hash
		for i := 0; i < n; i++ {
			tx := wire.NewMsgTx(1)
			tx.LockTime = uint32(i)
			txs = append(txs, btcutil.NewTx(tx))
			ids = append(ids, sdk.Hash(tx.TxHash()))
		}
		want := sdk.Hash(blockchain.CalcMerkleRoot(txs, false))
		for pos := 0; pos < n; pos++ {
			br, root := Branch(ids, pos)
			if root != want {
				t.Fatalf("n=%d pos=%d: root %s, btcd %s", n, pos, root, want)
			}
			if got := Root(ids[pos], br, pos); got != want {
				t.Fatalf("n=%d pos=%d: folded %s, want %s", n, pos, got, want)
			}
			depth := 0
			for 1<<depth < n {
				depth++
			}
			if len(br) != depth {
				t.Fatalf("n=%d: branch length %d, want %d", n, len(br), depth)
			}
			if pos > 0 && Root(ids[pos], br, pos-1) == want && ids[pos] != ids[pos-1] {
				t.Fatalf("n=%d pos=%d: branch also proves position %d", n, pos, pos-1)
			}
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
	if br, root := Branch(nil, 0); br != nil || root != (sdk.Hash{}) {
		t.Fatal("empty leaves")
	}
}
