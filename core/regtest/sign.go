package regtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// DustLimit is the smallest output value CreateTx and Pay produce (btcd's
// P2PKH dust threshold at the default relay fee).
const DustLimit = 546

// ErrInsufficientFunds is returned when inputs cannot pay outputs and fee.
var ErrInsufficientFunds = errors.New("insufficient funds")

// Weight returns the BIP141 weight of tx.
func Weight(tx *wire.MsgTx) int64 {
	base := int64(tx.SerializeSizeStripped())
	return base*3 + int64(tx.SerializeSize())
}

// VSize returns the virtual size of tx, ceil(weight/4), as btcd's mempool
// computes it.
func VSize(tx *wire.MsgTx) int64 { return (Weight(tx) + 3) / 4 }

// FeeFor returns the fee in satoshis for vsize virtual bytes at rate sat/vB,
// rounded up.
func FeeFor(rate float64, vsize int64) int64 { return int64(math.Ceil(rate * float64(vsize))) }

// maxSpendWeight is the weight an input of type t adds to an unsigned
// transaction once signed, with the largest (72-byte) ECDSA signature.
func maxSpendWeight(t ScriptType) int64 {
	switch t {
	case P2PKH:
		return 4 * (1 + 72 + 1 + 33) // scriptSig <sig> <pubkey>
	case P2WPKH:
		return 1 + 1 + 72 + 1 + 33 // witness: count, <sig>, <pubkey>
	case P2SH:
		return 4*23 + 1 + 1 + 72 + 1 + 33 // scriptSig <redeem>, witness as P2WPKH
	case P2TR:
		return 1 + 1 + 64 // witness: count, <schnorr sig>
	}
	return 0
}

// estimateVSize returns an upper bound of the signed size of tx spending
// prevs.
func estimateVSize(tx *wire.MsgTx, prevs []UTXO) int64 {
	w := Weight(tx)
	witness := false
	for _, p := range prevs {
		w += maxSpendWeight(p.Script.Type)
		witness = witness || p.Script.Type.IsWitness()
	}
	if witness {
		w += 2 + int64(len(prevs)) // marker, flag, empty witness counts
	}
	return (w + 3) / 4
}

func prevFetcher(tx *wire.MsgTx, prevs []UTXO) *txscript.MultiPrevOutFetcher {
	m := make(map[wire.OutPoint]*wire.TxOut, len(prevs))
	for i, p := range prevs {
		m[tx.TxIn[i].PreviousOutPoint] = p.TxOut()
	}
	return txscript.NewMultiPrevOutFetcher(m)
}

// SignTx signs every input of tx; prevs[i] is the output tx.TxIn[i] spends.
// P2PKH and P2WPKH sign with SIGHASH_ALL, P2TR with SIGHASH_DEFAULT.
func SignTx(tx *wire.MsgTx, prevs []UTXO) error {
	if len(prevs) != len(tx.TxIn) {
		return fmt.Errorf("sign: %d inputs, %d previous outputs", len(tx.TxIn), len(prevs))
	}
	fetch := prevFetcher(tx, prevs)
	hashes := txscript.NewTxSigHashes(tx, fetch)
	for i, p := range prevs {
		in := tx.TxIn[i]
		if in.PreviousOutPoint != p.OutPoint {
			return fmt.Errorf("sign input %d: spends %v, previous output is %v", i, in.PreviousOutPoint, p.OutPoint)
		}
		if err := signInput(tx, i, p, hashes, fetch); err != nil {
			return fmt.Errorf("sign input %d (%s): %w", i, p.Script.Type, err)
		}
	}
	return nil
}

// signInput signs input i. It is what txscript.SignatureScript,
// WitnessSignature and TaprootWitnessSignature do, with the public key and
// the BIP86-tweaked private key cached on the Key and without schnorr's
// sign-then-verify self check (VerifyTx and btcd do verify): signing is the
// generator's hot path.
func signInput(tx *wire.MsgTx, i int, p UTXO, hashes *txscript.TxSigHashes, fetch txscript.PrevOutputFetcher) error {
	in, k, ps := tx.TxIn[i], p.Script.Key, p.Script.PkScript
	switch p.Script.Type {
	case P2PKH:
		sig, err := txscript.RawTxInSignature(tx, i, ps, txscript.SigHashAll, k.PrivKey())
		if err != nil {
			return err
		}
		in.Witness = nil
		in.SignatureScript, err = txscript.NewScriptBuilder().AddData(sig).AddData(k.compressedPub()).Script()
		return err
	case P2WPKH, P2SH:
		witnessProgram, err := k.PkScript(P2WPKH)
		if err != nil {
			return err
		}
		sig, err := txscript.RawTxInWitnessSignature(tx, hashes, i, p.Value, witnessProgram, txscript.SigHashAll, k.PrivKey())
		if err != nil {
			return err
		}
		in.Witness = wire.TxWitness{sig, k.compressedPub()}
		in.SignatureScript = nil
		if p.Script.Type == P2SH { // the redeem script is the witness program
			in.SignatureScript, err = txscript.NewScriptBuilder().AddData(witnessProgram).Script()
		}
		return err
	case P2TR:
		hash, err := txscript.CalcTaprootSignatureHash(hashes, txscript.SigHashDefault, tx, i, fetch)
		if err != nil {
			return err
		}
		sig, err := schnorr.Sign(k.taprootPriv(), hash, schnorr.FastSign())
		if err != nil {
			return err
		}
		in.SignatureScript = nil
		in.Witness = wire.TxWitness{sig.Serialize()} // SIGHASH_DEFAULT: no type byte
		return nil
	}
	return fmt.Errorf("unknown script type %d", int(p.Script.Type))
}

// VerifyTx runs the script interpreter with btcd's standard flags on every
// input of tx; prevs[i] is the output tx.TxIn[i] spends.
func VerifyTx(tx *wire.MsgTx, prevs []UTXO) error {
	if len(prevs) != len(tx.TxIn) {
		return fmt.Errorf("verify: %d inputs, %d previous outputs", len(tx.TxIn), len(prevs))
	}
	fetch := prevFetcher(tx, prevs)
	hashes := txscript.NewTxSigHashes(tx, fetch)
	for i, p := range prevs {
		vm, err := txscript.NewEngine(p.Script.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, p.Value, fetch)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return fmt.Errorf("verify input %d (%s): %w", i, p.Script.Type, err)
		}
	}
	return nil
}

// CreateTx builds a version-2 transaction spending inputs to outputs and
// signs it. outputs[changeIdx] receives what remains after the other outputs
// and a fee of feeRate sat/vB times the signed transaction's real vsize (its
// Value on entry is ignored). It returns the transaction and its fee.
func CreateTx(inputs []UTXO, outputs []*wire.TxOut, changeIdx int, feeRate float64) (*wire.MsgTx, int64, error) {
	if len(inputs) == 0 || changeIdx < 0 || changeIdx >= len(outputs) {
		return nil, 0, fmt.Errorf("create tx: %d inputs, change output %d of %d", len(inputs), changeIdx, len(outputs))
	}
	var avail int64
	for _, u := range inputs {
		avail += u.Value
	}
	for i, o := range outputs {
		if i != changeIdx {
			avail -= o.Value
		}
	}
	tx := wire.NewMsgTx(2)
	for _, u := range inputs {
		tx.AddTxIn(wire.NewTxIn(&u.OutPoint, nil, nil))
	}
	for _, o := range outputs {
		tx.AddTxOut(wire.NewTxOut(o.Value, o.PkScript))
	}
	change := tx.TxOut[changeIdx]
	change.Value = 0
	upper := estimateVSize(tx, inputs)
	// ECDSA signatures are 71 or 72 bytes depending on the message, and the
	// message depends on the fee: look for a fixed point where the fee is
	// exactly feeRate times the signed vsize, starting from the upper bound
	// and then aiming at the last vsize seen. Signing is deterministic
	// (RFC6979), so a cycle between two fees is broken by bumping nLockTime,
	// which the final sequence numbers make meaningless to consensus.
	target := upper
	tried := map[int64]bool{}
	for range 32 {
		fee := FeeFor(feeRate, target)
		if tried[fee] {
			tx.LockTime++
			clear(tried)
		}
		tried[fee] = true
		if err := signWithChange(tx, inputs, change, avail-fee); err != nil {
			return nil, 0, err
		}
		got := VSize(tx)
		if FeeFor(feeRate, got) == fee {
			return tx, fee, nil
		}
		target = got
	}
	// Unlucky: pay for the upper bound, which no signature size exceeds.
	fee := FeeFor(feeRate, upper)
	if err := signWithChange(tx, inputs, change, avail-fee); err != nil {
		return nil, 0, err
	}
	return tx, fee, nil
}

func signWithChange(tx *wire.MsgTx, inputs []UTXO, change *wire.TxOut, value int64) error {
	if value < DustLimit {
		return fmt.Errorf("create tx: change %d sat after fee: %w", value, ErrInsufficientFunds)
	}
	change.Value = value
	return SignTx(tx, inputs)
}

// TxSender submits transactions (Client and Node have it).
type TxSender interface {
	SendRawTx(ctx context.Context, tx *wire.MsgTx) (sdk.Hash, error)
}

// Pay sends outputs from the wallet's spendable outputs (largest first, at
// the last scanned height; Sync first), with change to the ChangeIndex key,
// and applies the transaction to the wallet.
func (w *Wallet) Pay(ctx context.Context, node TxSender, outputs []*wire.TxOut, feeRate float64) (*wire.MsgTx, error) {
	tip := w.Height()
	changeType := P2PKH
	if tip >= SegwitHeight {
		changeType = P2WPKH
	}
	change, err := w.Script(ChangeIndex, changeType)
	if err != nil {
		return nil, err
	}
	outs := append(slices.Clone(outputs), wire.NewTxOut(0, change.PkScript))
	var target int64
	for _, o := range outputs {
		target += o.Value
	}
	cands := slices.DeleteFunc(w.UTXOs(), func(u UTXO) bool { return !u.Spendable(tip) })
	slices.SortStableFunc(cands, func(a, b UTXO) int { return cmp.Compare(b.Value, a.Value) })
	var ins []UTXO
	var sum int64
	for _, u := range cands {
		ins = append(ins, u)
		sum += u.Value
		if sum < target+DustLimit {
			continue
		}
		tx, _, err := CreateTx(ins, outs, len(outs)-1, feeRate)
		if errors.Is(err, ErrInsufficientFunds) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := node.SendRawTx(ctx, tx); err != nil {
			return nil, fmt.Errorf("pay: %w", err)
		}
		w.AddTx(tx)
		return tx, nil
	}
	return nil, fmt.Errorf("pay %d sat: %d spendable: %w", target, sum, ErrInsufficientFunds)
}
