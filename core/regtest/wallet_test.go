package regtest

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var regtestNet = &chaincfg.RegressionNetParams

func TestScriptTypes(t *testing.T) {
	k := DeriveKey(1, 0, regtestNet)
	tests := []struct {
		typ    ScriptType
		class  txscript.ScriptClass
		prefix string
		names  []string
	}{
		{P2PKH, txscript.PubKeyHashTy, "m", []string{"p2pkh", "P2PKH"}},
		{P2WPKH, txscript.WitnessV0PubKeyHashTy, "bcrt1q", []string{"p2wpkh"}},
		{P2SH, txscript.ScriptHashTy, "2", []string{"p2sh", "p2sh-p2wpkh", "p2wpkh-p2sh"}},
		{P2TR, txscript.WitnessV1TaprootTy, "bcrt1p", []string{"p2tr"}},
	}
	for _, tc := range tests {
		t.Run(tc.typ.String(), func(t *testing.T) {
			ps, err := k.PkScript(tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if c := txscript.GetScriptClass(ps); c != tc.class {
				t.Fatalf("script class %v, want %v", c, tc.class)
			}
			a, err := k.Address(tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if s := a.EncodeAddress(); !strings.HasPrefix(s, tc.prefix) && !(tc.prefix == "m" && s[0] == 'n') {
				t.Fatalf("address %s, want prefix %s", s, tc.prefix)
			}
			// The address decodes back to the same script.
			d, err := btcutil.DecodeAddress(a.EncodeAddress(), regtestNet)
			if err != nil {
				t.Fatal(err)
			}
			if ps2, _ := txscript.PayToAddrScript(d); string(ps2) != string(ps) {
				t.Fatalf("address script %x, PkScript %x", ps2, ps)
			}
			for _, name := range tc.names {
				if got, err := ParseScriptType(name); err != nil || got != tc.typ {
					t.Fatalf("ParseScriptType(%q) = %v, %v", name, got, err)
				}
			}
			var rt ScriptType
			if b, err := tc.typ.MarshalText(); err != nil || rt.UnmarshalText(b) != nil || rt != tc.typ {
				t.Fatalf("text round trip of %v: %v %v", tc.typ, rt, err)
			}
			if tc.typ.IsWitness() != (tc.typ != P2PKH) {
				t.Fatalf("IsWitness wrong for %v", tc.typ)
			}
		})
	}
	if _, err := ParseScriptType("p2wsh"); err == nil {
		t.Fatal("p2wsh parsed")
	}
}

// TestTaprootBIP86 checks the key-path tweak against the first BIP86 test
// vector (m/86'/0'/0'/0/0 of the "abandon ... about" seed).
func TestTaprootBIP86(t *testing.T) {
	root, err := hdkeychain.NewKeyFromString("xprv9s21ZrQH143K3GJpoapnV8SFfukcVBSfeCficPSGfubmSFDxo1kuHnLisriDvSnRRuL2Qrg5ggqHKNVpxR86QEC8w35uxmGoggxtQTPvfUu")
	if err != nil {
		t.Fatal(err)
	}
	ek := root
	for _, i := range []uint32{86 + hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart, 0, 0} {
		if ek, err = ek.Derive(i); err != nil {
			t.Fatal(err)
		}
	}
	priv, err := ek.ECPrivKey()
	if err != nil {
		t.Fatal(err)
	}
	k := &Key{priv: priv, net: &chaincfg.MainNetParams}
	a, err := k.Address(P2TR)
	if err != nil {
		t.Fatal(err)
	}
	if want := "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"; a.EncodeAddress() != want {
		t.Fatalf("BIP86 address %s, want %s", a.EncodeAddress(), want)
	}
	ps, _ := k.PkScript(P2TR)
	if want := "5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c"; fmt.Sprintf("%x", ps) != want {
		t.Fatalf("BIP86 script %x, want %s", ps, want)
	}
}

// TestKeysGolden pins key derivation: seeds in other tests and tools must
// keep producing the same keys and addresses.
func TestKeysGolden(t *testing.T) {
	w := NewWallet(1, regtestNet)
	var b strings.Builder
	for i := range 3 {
		k := w.Key(i)
		fmt.Fprintf(&b, "key %d %s\n", i, k.WIF())
		for _, typ := range AllScriptTypes {
			s, err := w.Script(i, typ)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  %-12s %s %s %s\n", typ, s.Address, s.Hex(), s.ScriptHash())
		}
	}
	h := w.Key(HarnessIndex)
	a, _ := h.Address(P2PKH)
	fmt.Fprintf(&b, "harness %s %s\n", h.WIF(), a.EncodeAddress())
	golden(t, "keys.golden", b.String())

	// Determinism and distinctness.
	if DeriveKey(1, 2, regtestNet).WIF() != w.Key(2).WIF() {
		t.Fatal("DeriveKey differs from Wallet.Key")
	}
	if DeriveKey(2, 2, regtestNet).WIF() == w.Key(2).WIF() || w.Key(3).WIF() == w.Key(2).WIF() {
		t.Fatal("different seed or index gave the same key")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestWIFAndElectrumImport(t *testing.T) {
	k := DeriveKey(5, 9, regtestNet)
	w, err := btcutil.DecodeWIF(k.WIF())
	if err != nil {
		t.Fatal(err)
	}
	if !w.CompressPubKey || !w.IsForNet(regtestNet) || !w.PrivKey.Key.Equals(&k.PrivKey().Key) {
		t.Fatalf("WIF round trip: compressed %v, key equal %v", w.CompressPubKey, w.PrivKey.Key.Equals(&k.PrivKey().Key))
	}
	for typ, prefix := range map[ScriptType]string{P2PKH: "p2pkh:", P2WPKH: "p2wpkh:", P2SH: "p2wpkh-p2sh:"} {
		s, err := k.ElectrumImport(typ)
		if err != nil || s != prefix+k.WIF() {
			t.Fatalf("ElectrumImport(%v) = %q, %v", typ, s, err)
		}
	}
	if _, err := k.ElectrumImport(P2TR); err == nil {
		t.Fatal("P2TR import string for Electrum 4.3.4")
	}
}

// fakeUTXO returns an output of value paying w's script (index, typ).
func fakeUTXO(t *testing.T, w *Wallet, rng *rand.Rand, index int, typ ScriptType, value int64) UTXO {
	t.Helper()
	s, err := w.Script(index, typ)
	if err != nil {
		t.Fatal(err)
	}
	var op wire.OutPoint
	for i := range op.Hash {
		op.Hash[i] = byte(rng.IntN(256))
	}
	op.Index = uint32(rng.IntN(4))
	return UTXO{OutPoint: op, Value: value, Script: s, Height: 500}
}

func TestCreateTxSignsEveryType(t *testing.T) {
	w := NewWallet(3, regtestNet)
	rng := rand.New(rand.NewPCG(1, 2))
	dest, _ := w.Script(99, P2WPKH)
	tests := []struct {
		name  string
		types []ScriptType
		rate  float64
	}{
		{"p2pkh", []ScriptType{P2PKH}, 1},
		{"p2wpkh", []ScriptType{P2WPKH}, 2.5},
		{"p2sh-p2wpkh", []ScriptType{P2SH}, 7},
		{"p2tr", []ScriptType{P2TR}, 13.3},
		{"mixed", []ScriptType{P2PKH, P2WPKH, P2SH, P2TR}, 5},
		{"mixed-reverse", []ScriptType{P2TR, P2SH, P2WPKH, P2PKH, P2TR}, 21},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ins []UTXO
			var total int64
			for i, typ := range tc.types {
				u := fakeUTXO(t, w, rng, i, typ, 100_000+int64(i)*1000)
				ins = append(ins, u)
				total += u.Value
			}
			change, _ := w.Script(100, P2TR)
			outs := []*wire.TxOut{wire.NewTxOut(30_000, dest.PkScript), wire.NewTxOut(0, change.PkScript)}
			tx, fee, err := CreateTx(ins, outs, 1, tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyTx(tx, ins); err != nil {
				t.Fatalf("signed tx does not verify: %v", err)
			}
			if got := total - tx.TxOut[0].Value - tx.TxOut[1].Value; got != fee {
				t.Fatalf("inputs - outputs = %d, reported fee %d", got, fee)
			}
			vs := VSize(tx)
			if need := FeeFor(tc.rate, vs); fee != need {
				t.Fatalf("fee %d for vsize %d at %.1f sat/vB, want %d", fee, vs, tc.rate, need)
			}
			if est := estimateVSize(stripped(tx), ins); est < vs {
				t.Fatalf("size estimate %d below the real vsize %d", est, vs)
			}
			// Tampering breaks the signatures.
			tx.TxOut[0].Value++
			if err := VerifyTx(tx, ins); err == nil {
				t.Fatal("tampered tx verifies")
			}
		})
	}
}

func stripped(tx *wire.MsgTx) *wire.MsgTx {
	c := tx.Copy()
	for _, in := range c.TxIn {
		in.SignatureScript, in.Witness = nil, nil
	}
	return c
}

func TestCreateTxErrors(t *testing.T) {
	w := NewWallet(3, regtestNet)
	rng := rand.New(rand.NewPCG(3, 4))
	u := fakeUTXO(t, w, rng, 0, P2WPKH, 10_000)
	dest, _ := w.Script(1, P2PKH)
	tests := []struct {
		name      string
		ins       []UTXO
		outs      []*wire.TxOut
		changeIdx int
		want      error
	}{
		{"no inputs", nil, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 0, nil},
		{"bad change index", []UTXO{u}, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 1, nil},
		{"outputs exceed inputs", []UTXO{u}, []*wire.TxOut{wire.NewTxOut(9_900, dest.PkScript), wire.NewTxOut(0, dest.PkScript)}, 1, ErrInsufficientFunds},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := CreateTx(tc.ins, tc.outs, tc.changeIdx, 1)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUTXOSpendable(t *testing.T) {
	w := NewWallet(1, regtestNet)
	p2pkh, _ := w.Script(0, P2PKH)
	p2tr, _ := w.Script(0, P2TR)
	tests := []struct {
		name string
		u    UTXO
		tip  int64
		want bool
	}{
		{"coinbase immature", UTXO{Script: p2pkh, Height: 1, Coinbase: true}, 99, false},
		{"coinbase mature", UTXO{Script: p2pkh, Height: 1, Coinbase: true}, 100, true},
		{"unconfirmed p2pkh", UTXO{Script: p2pkh}, 5, true},
		{"witness before activation", UTXO{Script: p2tr, Height: 10}, SegwitHeight - 1, false},
		{"witness at activation", UTXO{Script: p2tr, Height: 10}, SegwitHeight, true},
	}
	for _, tc := range tests {
		if got := tc.u.Spendable(tc.tip); got != tc.want {
			t.Errorf("%s: Spendable(%d) = %v, want %v", tc.name, tc.tip, got, tc.want)
		}
	}
}

// TestWalletApplyBlock feeds hand-made blocks: a coinbase to the mining
// script, then a block confirming a transaction added with AddTx and an
// external one paying the wallet.
func TestWalletApplyBlock(t *testing.T) {
	w := NewWallet(1, regtestNet)
	mining := w.MiningScript()
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, []byte{1, 1}, nil))
	cb.AddTxOut(wire.NewTxOut(50e8, mining.PkScript))
	b1 := &wire.MsgBlock{Header: wire.BlockHeader{PrevBlock: *regtestNet.GenesisHash}, Transactions: []*wire.MsgTx{cb}}
	if _, err := w.ApplyBlock(b1, 2); err == nil {
		t.Fatal("applied a block at the wrong height")
	}
	effects, err := w.ApplyBlock(b1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(effects) != 1 || !effects[0].Received[0].Coinbase || effects[0].Scripts[0] != mining {
		t.Fatalf("coinbase effect %+v", effects)
	}
	if w.Height() != 1 || w.TipHash() != sdk.Hash(b1.BlockHash()) {
		t.Fatalf("height %d tip %s", w.Height(), w.TipHash())
	}

	coin := w.UTXOs()[0]
	dest, _ := w.Script(4, P2SH)
	tx, fee, err := CreateTx([]UTXO{coin}, []*wire.TxOut{wire.NewTxOut(1e8, dest.PkScript), wire.NewTxOut(0, mining.PkScript)}, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	e := w.AddTx(tx)
	if len(e.Spent) != 1 || len(e.Received) != 2 || len(e.Scripts) != 2 {
		t.Fatalf("AddTx effect: %d spent, %d received, %d scripts", len(e.Spent), len(e.Received), len(e.Scripts))
	}
	if c, u := w.Balance(); c != 0 || u != 50e8-fee {
		t.Fatalf("balance after AddTx: %d confirmed, %d unconfirmed", c, u)
	}
	ext := wire.NewMsgTx(2)
	ext.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 7}, nil, nil))
	ext.AddTxOut(wire.NewTxOut(5000, dest.PkScript))
	ext.AddTxOut(wire.NewTxOut(6000, []byte{txscript.OP_TRUE}))
	b2 := &wire.MsgBlock{Header: wire.BlockHeader{PrevBlock: b1.BlockHash()}, Transactions: []*wire.MsgTx{cb.Copy(), tx, ext}}
	b2.Transactions[0].TxIn[0].SignatureScript = []byte{1, 2}
	effects, err = w.ApplyBlock(b2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(effects) != 3 || effects[1].Txid != sdk.Hash(tx.TxHash()) || len(effects[2].Received) != 1 {
		t.Fatalf("block 2 effects: %+v", effects)
	}
	for _, u := range w.UTXOs() {
		if u.Height != 2 && u.OutPoint.Hash != cb.TxHash() {
			t.Fatalf("utxo %v not confirmed at 2: %d", u.OutPoint, u.Height)
		}
	}
	if c, u := w.Balance(); u != 0 || c != 50e8+50e8-fee+5000 {
		t.Fatalf("balance after block 2: %d confirmed, %d unconfirmed", c, u)
	}
	w.Reset()
	if w.Height() != 0 || len(w.UTXOs()) != 0 {
		t.Fatal("Reset kept state")
	}
}

func FuzzParseScriptType(f *testing.F) {
	for _, s := range []string{"p2pkh", "P2SH", " p2tr ", "p2wpkh-p2sh", "", "p2wsh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseScriptType(s)
		if err != nil {
			return
		}
		again, err := ParseScriptType(typ.String())
		if err != nil || again != typ {
			t.Fatalf("%q -> %v -> %v, %v", s, typ, again, err)
		}
	})
}

// TestSignMatchesTxscript checks the cached-key signing path against
// txscript's own helpers: both use deterministic nonces, so the scripts and
// witnesses must be byte-identical.
func TestSignMatchesTxscript(t *testing.T) {
	w := NewWallet(8, regtestNet)
	rng := rand.New(rand.NewPCG(5, 6))
	var ins []UTXO
	for i, typ := range []ScriptType{P2PKH, P2WPKH, P2SH, P2TR} {
		ins = append(ins, fakeUTXO(t, w, rng, i, typ, 50_000))
	}
	dest, _ := w.Script(9, P2TR)
	tx, _, err := CreateTx(ins, []*wire.TxOut{wire.NewTxOut(0, dest.PkScript)}, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	fetch := prevFetcher(tx, ins)
	hashes := txscript.NewTxSigHashes(tx, fetch)
	for i, u := range ins {
		priv := u.Script.Key.PrivKey()
		var sigScript []byte
		var wit wire.TxWitness
		switch u.Script.Type {
		case P2PKH:
			sigScript, err = txscript.SignatureScript(tx, i, u.Script.PkScript, txscript.SigHashAll, priv, true)
		case P2WPKH:
			wit, err = txscript.WitnessSignature(tx, hashes, i, u.Value, u.Script.PkScript, txscript.SigHashAll, priv, true)
		case P2SH:
			redeem, _ := u.Script.Key.PkScript(P2WPKH)
			sigScript, _ = txscript.NewScriptBuilder().AddData(redeem).Script()
			wit, err = txscript.WitnessSignature(tx, hashes, i, u.Value, redeem, txscript.SigHashAll, priv, true)
		case P2TR:
			wit, err = txscript.TaprootWitnessSignature(tx, hashes, i, u.Value, u.Script.PkScript, txscript.SigHashDefault, priv)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := tx.TxIn[i]; string(got.SignatureScript) != string(sigScript) || fmt.Sprint(got.Witness) != fmt.Sprint(wit) {
			t.Fatalf("input %d (%s): scriptSig %x witness %x; txscript gives %x %x", i, u.Script.Type, got.SignatureScript, got.Witness, sigScript, wit)
		}
	}
}

// TestCreateTxExactFee: over many random input mixes and fee rates the fee
// is exactly the rate times the signed vsize, rounded up.
func TestCreateTxExactFee(t *testing.T) {
	w := NewWallet(4, regtestNet)
	rng := rand.New(rand.NewPCG(7, 8))
	dest, _ := w.Script(50, P2SH)
	for i := range 300 {
		var ins []UTXO
		for j := range 1 + rng.IntN(6) {
			ins = append(ins, fakeUTXO(t, w, rng, j, AllScriptTypes[rng.IntN(4)], 20_000+rng.Int64N(1e6)))
		}
		rate := 1 + float64(rng.IntN(300))/10
		outs := []*wire.TxOut{wire.NewTxOut(7_000, dest.PkScript), wire.NewTxOut(0, dest.PkScript)}
		tx, fee, err := CreateTx(ins, outs, 1, rate)
		if err != nil {
			t.Fatal(err)
		}
		if need := FeeFor(rate, VSize(tx)); fee != need {
			t.Fatalf("tx %d: %d inputs at %.1f sat/vB: fee %d, want %d for vsize %d", i, len(ins), rate, fee, need, VSize(tx))
		}
	}
}
