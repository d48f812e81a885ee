package regtest

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// The generator's signer. A signature costs one scalar multiplication of
// the curve's generator (R = k·G, the nonce point) and a little scalar
// arithmetic; the multiplication is almost all of it. fastSigner takes
// its nonces from a small pool fixed by the seed, whose points are
// computed once, so a signature is a sighash and a few multiplications
// mod n. The signatures are valid ECDSA (low S) and BIP340 signatures that
// btcd's script engine checks like any other, but reusing a nonce for two
// messages of one key reveals the key: fine for throwaway regtest keys
// derived from a public seed, never for real ones. SignTx (RFC6979 nonces)
// is what everything else uses.

// noncePoolSize is the number of nonces; the sighash picks one.
const noncePoolSize = 64

type fastNonce struct {
	kInv btcec.ModNScalar // ECDSA: 1/k
	r    btcec.ModNScalar // ECDSA: R.x mod n
	ks   btcec.ModNScalar // BIP340: k, negated when R.y is odd
	rx   [32]byte         // BIP340: R.x
}

// keySigner is what signing with one key needs, computed once.
type keySigner struct {
	d  btcec.ModNScalar // private key
	td btcec.ModNScalar // BIP340: the BIP86-tweaked key, negated when its point's y is odd
	px [32]byte         // BIP340: x of the tweaked key's point (the output key)
	wp []byte           // P2WPKH witness program (P2WPKH and P2SH-P2WPKH)
}

type fastSigner struct {
	nonces [noncePoolSize]fastNonce
	keys   []keySigner // by Key.Index
}

// newFastSigner derives the nonce pool from seed.
func newFastSigner(seed int64, keys int) *fastSigner {
	s := &fastSigner{keys: make([]keySigner, keys)}
	for i := range s.nonces {
		var b [8 + 8 + 20]byte
		binary.BigEndian.PutUint64(b[:], uint64(seed))
		binary.BigEndian.PutUint64(b[8:], uint64(i))
		copy(b[16:], "amber/fastgen/nonce")
		h := sha256.Sum256(b[:])
		n := &s.nonces[i]
		var k btcec.ModNScalar
		if k.SetBytes(&h); k.IsZero() {
			k.SetInt(uint32(i) + 1)
		}
		var R btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&k, &R)
		R.ToAffine()
		R.X.Normalize()
		R.Y.Normalize()
		xb := R.X.Bytes()
		n.rx = *xb
		n.r.SetBytes(xb) // reduced mod n
		n.kInv.InverseValNonConst(&k)
		n.ks = k
		if R.Y.IsOdd() {
			n.ks.Negate()
		}
	}
	return s
}

// addKey computes what signing with script s's key needs (it is called for
// every wallet script before signing starts, from several goroutines for
// distinct keys).
func (s *fastSigner) addKey(sc *Script) error {
	k := sc.Key
	if k.Index < 0 || k.Index >= len(s.keys) {
		return fmt.Errorf("fast signer: key index %d out of range", k.Index)
	}
	ks := &s.keys[k.Index]
	ks.d = k.PrivKey().Key
	switch sc.Type {
	case P2WPKH:
		ks.wp = sc.PkScript
	case P2SH:
		wp, err := k.PkScript(P2WPKH)
		if err != nil {
			return err
		}
		ks.wp = wp
	case P2TR:
		tp := k.taprootPriv()
		var P btcec.JacobianPoint
		tp.PubKey().AsJacobian(&P)
		ks.td = tp.Key
		if P.Y.IsOdd() {
			ks.td.Negate()
		}
		P.X.PutBytes(&ks.px)
		if len(sc.PkScript) != 34 || [32]byte(sc.PkScript[2:]) != ks.px {
			return errors.New("fast signer: the taproot output key does not match the tweaked key")
		}
	}
	return nil
}

func (s *fastSigner) nonce(hash []byte) *fastNonce {
	return &s.nonces[int(hash[0])%noncePoolSize]
}

// ecdsaSig signs hash with the key and appends the sighash type.
func (s *fastSigner) ecdsaSig(ks *keySigner, hash []byte, hashType txscript.SigHashType) []byte {
	n := s.nonce(hash)
	var z, sv btcec.ModNScalar
	z.SetByteSlice(hash)
	sv.Mul2(&n.r, &ks.d).Add(&z).Mul(&n.kInv) // s = (z + r·d)/k
	if sv.IsOverHalfOrder() {
		sv.Negate()
	}
	// s == 0 (probability ~2^-256) would give an invalid signature that
	// VerifyTx and btcd reject.
	return append(ecdsa.NewSignature(&n.r, &sv).Serialize(), byte(hashType))
}

// schnorrSig is the BIP340 signature of hash (SIGHASH_DEFAULT: no type
// byte).
func (s *fastSigner) schnorrSig(ks *keySigner, hash []byte) []byte {
	n := s.nonce(hash)
	var buf [96]byte
	copy(buf[:32], n.rx[:])
	copy(buf[32:64], ks.px[:])
	copy(buf[64:], hash)
	eh := chainhash.TaggedHash(chainhash.TagBIP0340Challenge, buf[:])
	var e, sv btcec.ModNScalar
	e.SetByteSlice(eh[:])
	sv.Mul2(&e, &ks.td).Add(&n.ks) // s = k + e·d
	sig := make([]byte, 64)
	copy(sig, n.rx[:])
	sb := sv.Bytes()
	copy(sig[32:], sb[:])
	return sig
}

// signTx signs every input of tx like SignTx, with the pool's nonces;
// prevs[i] is the output tx.TxIn[i] spends.
func (s *fastSigner) signTx(tx *wire.MsgTx, prevs []UTXO) error {
	if len(prevs) != len(tx.TxIn) {
		return fmt.Errorf("sign: %d inputs, %d previous outputs", len(tx.TxIn), len(prevs))
	}
	fetch := prevFetcher(tx, prevs)
	hashes := txscript.NewTxSigHashes(tx, fetch)
	for i, p := range prevs {
		if err := s.signInput(tx, i, p, hashes, fetch); err != nil {
			return fmt.Errorf("sign input %d (%s): %w", i, p.Script.Type, err)
		}
	}
	return nil
}

func (s *fastSigner) signInput(tx *wire.MsgTx, i int, p UTXO, hashes *txscript.TxSigHashes, fetch txscript.PrevOutputFetcher) error {
	in, k := tx.TxIn[i], p.Script.Key
	if in.PreviousOutPoint != p.OutPoint {
		return fmt.Errorf("spends %v, previous output is %v", in.PreviousOutPoint, p.OutPoint)
	}
	if k.Index < 0 || k.Index >= len(s.keys) {
		return fmt.Errorf("key index %d out of range", k.Index)
	}
	ks := &s.keys[k.Index]
	switch p.Script.Type {
	case P2PKH:
		hash, err := txscript.CalcSignatureHash(p.Script.PkScript, txscript.SigHashAll, tx, i)
		if err != nil {
			return err
		}
		in.Witness = nil
		in.SignatureScript, err = txscript.NewScriptBuilder().AddData(s.ecdsaSig(ks, hash, txscript.SigHashAll)).
			AddData(k.compressedPub()).Script()
		return err
	case P2WPKH, P2SH:
		if ks.wp == nil {
			return errors.New("key not added to the fast signer")
		}
		hash, err := txscript.CalcWitnessSigHash(ks.wp, hashes, txscript.SigHashAll, tx, i, p.Value)
		if err != nil {
			return err
		}
		in.Witness = wire.TxWitness{s.ecdsaSig(ks, hash, txscript.SigHashAll), k.compressedPub()}
		in.SignatureScript = nil
		if p.Script.Type == P2SH { // the redeem script is the witness program
			in.SignatureScript, err = txscript.NewScriptBuilder().AddData(ks.wp).Script()
		}
		return err
	case P2TR:
		if ks.px == [32]byte{} {
			return errors.New("key not added to the fast signer")
		}
		hash, err := txscript.CalcTaprootSignatureHash(hashes, txscript.SigHashDefault, tx, i, fetch)
		if err != nil {
			return err
		}
		in.SignatureScript = nil
		in.Witness = wire.TxWitness{s.schnorrSig(ks, hash)}
		return nil
	}
	return fmt.Errorf("unknown script type %d", int(p.Script.Type))
}
