package regtest

import (
	"bytes"
	"context"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// The fast signer's signatures pass btcd's script engine with the standard
// flags (low S, strict DER, ...) for every script type, bind the
// transaction (a changed output breaks them) and come from the nonce pool.
func TestFastSignerSignaturesVerify(t *testing.T) {
	types := []ScriptType{P2PKH, P2WPKH, P2SH, P2TR}
	s := newFastSigner(7, 2*len(types))
	var prevs []UTXO
	for i := range 2 * len(types) {
		sc, err := newScript(DeriveKey(7, i, &chaincfg.RegressionNetParams), types[i%len(types)])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.addKey(sc); err != nil {
			t.Fatal(err)
		}
		prevs = append(prevs, UTXO{OutPoint: wire.OutPoint{Hash: chainhash.Hash{byte(i + 1)}, Index: uint32(i)},
			Value: int64(10_000 + i), Script: sc})
	}
	for round := range 20 { // different messages, different nonces from the pool
		tx := wire.NewMsgTx(2)
		for _, p := range prevs {
			tx.AddTxIn(wire.NewTxIn(&p.OutPoint, nil, nil))
		}
		tx.AddTxOut(wire.NewTxOut(int64(50_000+round), prevs[0].Script.PkScript))
		if err := s.signTx(tx, prevs); err != nil {
			t.Fatal(err)
		}
		if err := VerifyTx(tx, prevs); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, in := range tx.TxIn {
			var der []byte
			switch prevs[i].Script.Type {
			case P2PKH:
				der = in.SignatureScript[1 : 1+in.SignatureScript[0]]
			case P2WPKH, P2SH:
				der = in.Witness[0]
			case P2TR:
				if len(in.Witness) != 1 || len(in.Witness[0]) != 64 {
					t.Fatalf("taproot witness %x", in.Witness)
				}
				continue
			}
			if _, err := ecdsa.ParseDERSignature(der[:len(der)-1]); err != nil {
				t.Fatal(err)
			}
			var r btcec.ModNScalar // DER: 0x30 len 0x02 rlen r ...
			r.SetByteSlice(bytes.TrimLeft(der[4:4+der[3]], "\x00"))
			found := false
			for j := range s.nonces {
				found = found || s.nonces[j].r.Equals(&r)
			}
			if !found {
				t.Fatalf("input %d: r is not from the nonce pool", i)
			}
		}
		tx.TxOut[0].Value++
		if err := VerifyTx(tx, prevs); err == nil {
			t.Fatal("a changed output still verifies")
		}
	}
	// A key the signer does not know is an error, not a bad signature.
	sc, _ := newScript(DeriveKey(7, 100, &chaincfg.RegressionNetParams), P2WPKH)
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1, sc.PkScript))
	if err := s.signTx(tx, []UTXO{{Script: sc, Value: 2}}); err == nil {
		t.Fatal("signed with an unknown key")
	}
}

// RFC6979 signs the same transactions with SignTx: the same spends and
// outputs (so the same answers), other signatures, and valid too.
func TestGenerateFastRFC6979(t *testing.T) {
	ctx := context.Background()
	fast, slow := &recordingNode{}, &recordingNode{}
	spec := smallFastSpec(5)
	a, err := GenerateFast(ctx, fast, spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.RFC6979 = true
	b, err := GenerateFast(ctx, slow, spec)
	if err != nil {
		t.Fatal(err)
	}
	if a.Txs != b.Txs || a.Height != b.Height || a.TipHash == b.TipHash || len(fast.blocks) != len(slow.blocks) {
		t.Fatalf("fast: %d txs to %d (%s); rfc6979: %d txs to %d (%s)", a.Txs, a.Height, a.TipHash, b.Txs, b.Height, b.TipHash)
	}
	outs := map[wire.OutPoint]*wire.TxOut{}
	for h := range slow.blocks {
		fb, sb := fast.blocks[h], slow.blocks[h]
		for i, tx := range sb.Transactions {
			ftx := fb.Transactions[i]
			if i > 0 {
				if len(tx.TxIn) != len(ftx.TxIn) || len(tx.TxOut) != len(ftx.TxOut) {
					t.Fatalf("block %d tx %d: shapes differ", h+1, i)
				}
				fetch := map[wire.OutPoint]*wire.TxOut{}
				for _, in := range tx.TxIn {
					fetch[in.PreviousOutPoint] = outs[in.PreviousOutPoint]
				}
				if err := verifyWith(tx, fetch); err != nil {
					t.Fatalf("block %d tx %d: %v", h+1, i, err)
				}
			}
			for n, o := range tx.TxOut {
				outs[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(n)}] = o
			}
		}
	}
}
