package index

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// TestTxidsOf checks the txids hashed from a block's raw bytes against
// wire.MsgTx.TxHash, for blocks with and without witness transactions and
// for a raw block with bytes past its last transaction (btcd's decoder
// itself refuses a marker and flag without any witness).
func TestTxidsOf(t *testing.T) {
	sc := newSmallChain()
	witness := 0
	for _, b := range sc.blocks {
		for _, tx := range b.Transactions {
			if tx.HasWitness() {
				witness++
			}
		}
	}
	if witness == 0 {
		t.Fatal("the small chain has no witness transaction: the test would check one layout only")
	}
	legacy := spend([]wire.OutPoint{{Index: 1}, {Index: 2}}, false, out{p2pkh(1), 5})
	type tc struct {
		name string
		raw  []byte
	}
	var cases []tc
	for h, b := range sc.blocks {
		cases = append(cases, tc{name: fmt.Sprintf("small chain block %d", h), raw: serialize(t, b)})
	}
	withLegacy := *sc.blocks[1]
	withLegacy.Transactions = append(append([]*wire.MsgTx{}, withLegacy.Transactions...), legacy)
	raw := serialize(t, &withLegacy)
	cases = append(cases, tc{name: "legacy tx", raw: raw})
	cases = append(cases, tc{name: "trailing bytes", raw: append(append([]byte{}, raw...), 0xff)})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var msg wire.MsgBlock
			if err := msg.Deserialize(bytes.NewReader(c.raw)); err != nil {
				t.Fatal(err)
			}
			got := txidsOf(&msg, c.raw)
			for i, tx := range msg.Transactions {
				if want := sdk.Hash(tx.TxHash()); got[i] != want {
					t.Fatalf("tx %d: txid %s, want %s", i, got[i], want)
				}
			}
		})
	}
}

func serialize(t testing.TB, b *wire.MsgBlock) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
