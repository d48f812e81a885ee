package bip301

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	hstar := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	tests := []struct {
		name   string
		script string
		ok     bool
		layout Layout
		sc     uint8
	}{
		{"raw", "6a" + "d1617368" + "02" + hstar, true, Raw, 2},
		{"raw sidechain 255", "6a" + "d1617368" + "ff" + hstar, true, Raw, 255},
		{"pushed", "6a25" + "d1617368" + "00" + hstar, true, Pushed, 0},
		{"wrong header", "6a" + "d1617369" + "02" + hstar, false, 0, 0},
		{"no op_return", "00" + "d1617368" + "02" + hstar, false, 0, 0},
		{"short", "6a" + "d1617368" + "02" + hstar[:62], false, 0, 0},
		{"trailing byte", "6a" + "d1617368" + "02" + hstar + "00", false, 0, 0},
		{"pushed wrong length byte", "6a24" + "d1617368" + "02" + hstar, false, 0, 0},
		{"pushdata1", "6a4c25" + "d1617368" + "02" + hstar, false, 0, 0},
		{"bmm request header", "6a" + "00bf00" + "02" + hstar + "00", false, 0, 0},
		{"empty", "", false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, l, ok := Parse(mustHex(t, tc.script))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if l != tc.layout || a.Sidechain != tc.sc || hex.EncodeToString(a.HStar[:]) != hstar {
				t.Fatalf("got %+v %v, want sidechain %d h* %s layout %v", a, l, tc.sc, hstar, tc.layout)
			}
		})
	}
}

func TestScriptRoundTrip(t *testing.T) {
	a := Accept{Sidechain: 7}
	for i := range a.HStar {
		a.HStar[i] = byte(i * 3)
	}
	for _, l := range []Layout{Raw, Pushed} {
		s := a.Script(l)
		want := map[Layout]int{Raw: RawLen, Pushed: PushedLen}[l]
		if len(s) != want {
			t.Fatalf("%v: len %d, want %d", l, len(s), want)
		}
		got, gl, ok := Parse(s)
		if !ok || got != a || gl != l {
			t.Fatalf("%v: round trip: %+v %v %v", l, got, gl, ok)
		}
	}
	// The raw layout is byte for byte BIP301's.
	if got := hex.EncodeToString(a.Script(Raw)[:6]); got != "6ad161736807" {
		t.Fatalf("raw prefix %s", got)
	}
}

func TestFromTx(t *testing.T) {
	a2 := Accept{Sidechain: 2, HStar: [32]byte{1}}
	a3 := Accept{Sidechain: 3, HStar: [32]byte{2}}
	a2b := Accept{Sidechain: 2, HStar: [32]byte{3}}
	tx := wire.NewMsgTx(1)
	tx.AddTxOut(wire.NewTxOut(50, []byte{0x51}))
	tx.AddTxOut(a2.TxOut(Raw))
	tx.AddTxOut(wire.NewTxOut(0, []byte{0x6a, 0x04, 1, 2, 3, 4}))
	tx.AddTxOut(a3.TxOut(Pushed))
	tx.AddTxOut(a2b.TxOut(Pushed))
	all := FromTx(tx)
	if len(all) != 3 || all[0].Vout != 1 || all[1].Vout != 3 || all[2].Vout != 4 {
		t.Fatalf("FromTx = %+v", all)
	}
	got := ForSidechain(tx, 2)
	if len(got) != 2 || got[0].Accept != a2 || got[1].Accept != a2b || got[1].Layout != Pushed {
		t.Fatalf("ForSidechain(2) = %+v", got)
	}
	if got := ForSidechain(tx, 9); len(got) != 0 {
		t.Fatalf("ForSidechain(9) = %+v", got)
	}
}

func FuzzParse(f *testing.F) {
	a := Accept{Sidechain: 1, HStar: [32]byte{9, 9}}
	f.Add(a.Script(Raw))
	f.Add(a.Script(Pushed))
	f.Add([]byte{0x6a})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, script []byte) {
		got, l, ok := Parse(script)
		if !ok {
			return
		}
		// Whatever parses re-encodes to the same bytes in its layout.
		if !bytes.Equal(got.Script(l), script) {
			t.Fatalf("re-encode %x != %x", got.Script(l), script)
		}
	})
}
