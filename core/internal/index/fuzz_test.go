package index

import (
	"bytes"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

func FuzzDecodeUndo(f *testing.F) {
	u := &undoRecord{
		txCountBefore: 42,
		hist:          []histRef{{HashX{1}, 7}, {HashX{2}, 1<<40 - 1}},
		created:       []outpoint{{sdk.Hash{3}, 1}},
		spent:         []spentOut{{outpoint{sdk.Hash{4}, 2}, outVal{HashX{5}, 9, 1234, 77}}},
	}
	f.Add(u.encode())
	f.Add((&undoRecord{}).encode())
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := decodeUndo(b)
		if err != nil {
			return
		}
		if got := u.encode(); !bytes.Equal(got, b) {
			t.Fatalf("round trip: %x != %x", got, b)
		}
	})
}

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
	})
}

func TestUndoRoundTrip(t *testing.T) {
	u := &undoRecord{
		txCountBefore: 1 << 33,
		hist:          []histRef{{HashX{1, 2}, 5}},
		created:       []outpoint{{sdk.Hash{3}, 1}, {sdk.Hash{4}, 0}},
		spent:         []spentOut{{outpoint{sdk.Hash{4}, 2}, outVal{HashX{5}, 9, 21e14, 800000}}},
	}
	got, err := decodeUndo(u.encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.encode(), u.encode()) || got.spent[0].value != 21e14 || got.spent[0].height != 800000 || got.txCountBefore != 1<<33 {
		t.Errorf("round trip = %+v", got)
	}
	for _, bad := range [][]byte{nil, {2}, u.encode()[:20], append(u.encode(), 0)} {
		if _, err := decodeUndo(bad); err == nil {
			t.Errorf("decodeUndo(%x) succeeded", bad)
		}
	}
}
