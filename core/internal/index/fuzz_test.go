package index

import (
	"bytes"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

func FuzzDecodeState(f *testing.F) {
	g := sdk.Hash{9}
	f.Add(state{height: 5, tip: sdk.Hash{1}, txCount: 9}.encode(g))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeState(b, g)
		if err != nil {
			return
		}
		if got := s.encode(g); !bytes.Equal(got, b) {
			t.Fatalf("round trip: %x != %x", got, b)
		}
	})
}

func FuzzParseBlock(f *testing.F) {
	sc := newSmallChain()
	for _, b := range sc.blocks {
		var buf bytes.Buffer
		_ = b.Serialize(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := parseBlock(sdk.Block{Height: 1, Raw: raw})
		if err != nil {
			return
		}
		if len(p.header) != 80 || headerHash(p.header) != p.hash || len(p.txids) != len(p.msg.Transactions) {
			t.Fatalf("inconsistent parse: %d %s", len(p.header), p.hash)
		}
		for i, tx := range p.msg.Transactions {
			if want := sdk.Hash(tx.TxHash()); p.txids[i] != want {
				t.Fatalf("tx %d: txid %s from the raw bytes, %s from the decoded tx", i, p.txids[i], want)
			}
		}
	})
}
