package regtest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

// ScriptType is a standard single-key output script type.
type ScriptType int

// Script types the wallet can receive to and spend from.
const (
	P2PKH  ScriptType = iota + 1 // pay to public key hash
	P2WPKH                       // native segwit v0 key hash
	P2SH                         // P2SH-wrapped P2WPKH ("nested segwit")
	P2TR                         // segwit v1 key path, BIP86 tweak (no script tree)
)

// AllScriptTypes lists every ScriptType.
var AllScriptTypes = []ScriptType{P2PKH, P2WPKH, P2SH, P2TR}

// String returns the lower-case name: p2pkh, p2wpkh, p2sh-p2wpkh, p2tr.
func (t ScriptType) String() string {
	switch t {
	case P2PKH:
		return "p2pkh"
	case P2WPKH:
		return "p2wpkh"
	case P2SH:
		return "p2sh-p2wpkh"
	case P2TR:
		return "p2tr"
	}
	return fmt.Sprintf("ScriptType(%d)", int(t))
}

// ParseScriptType parses the String form; "p2sh" and "p2wpkh-p2sh"
// (Electrum's name) are accepted for P2SH.
func ParseScriptType(s string) (ScriptType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "p2pkh":
		return P2PKH, nil
	case "p2wpkh":
		return P2WPKH, nil
	case "p2sh", "p2sh-p2wpkh", "p2wpkh-p2sh":
		return P2SH, nil
	case "p2tr":
		return P2TR, nil
	}
	return 0, fmt.Errorf("unknown script type %q (want p2pkh, p2wpkh, p2sh or p2tr)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (t ScriptType) MarshalText() ([]byte, error) {
	if t < P2PKH || t > P2TR {
		return nil, fmt.Errorf("invalid script type %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *ScriptType) UnmarshalText(b []byte) error {
	v, err := ParseScriptType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// IsWitness reports whether spending this type needs witness data, which
// btcd regtest rejects below SegwitHeight.
func (t ScriptType) IsWitness() bool { return t != P2PKH }

// Key is a deterministic secp256k1 key. Index is its derivation index, -1
// for the harness key.
type Key struct {
	Index int
	priv  *btcec.PrivateKey
	net   *chaincfg.Params

	pubOnce sync.Once
	pub     *btcec.PublicKey
	pubC    []byte // compressed public key

	tweakOnce sync.Once
	tweaked   *btcec.PrivateKey // BIP86 key-path private key
}

// HarnessIndex is the Index of the harness key.
const HarnessIndex = -1

func newKey(index int, material []byte, net *chaincfg.Params) *Key {
	sum := sha256.Sum256(material)
	priv, _ := btcec.PrivKeyFromBytes(sum[:]) // reduced mod N; zero has probability ~2^-256
	return &Key{Index: index, priv: priv, net: net}
}

// DeriveKey returns key index of seed: sha256("amber/regtest/key" || seed ||
// index) as a private key. Same inputs, same key.
func DeriveKey(seed int64, index int, net *chaincfg.Params) *Key {
	m := make([]byte, 0, 40)
	m = append(m, "amber/regtest/key"...)
	m = binary.BigEndian.AppendUint64(m, uint64(seed))
	m = binary.BigEndian.AppendUint64(m, uint64(int64(index)))
	return newKey(index, m, net)
}

// HarnessKey is the fixed key StartNode mines to by default (its P2PKH
// address). Every Wallet knows it, so coinbases of a default node are
// spendable by any wallet.
func HarnessKey(net *chaincfg.Params) *Key {
	return newKey(HarnessIndex, []byte("amber/regtest/harness"), net)
}

// PrivKey returns the private key.
func (k *Key) PrivKey() *btcec.PrivateKey { return k.priv }

// PubKey returns the public key.
func (k *Key) PubKey() *btcec.PublicKey {
	k.pubOnce.Do(func() {
		k.pub = k.priv.PubKey()
		k.pubC = k.pub.SerializeCompressed()
	})
	return k.pub
}

// compressedPub returns the 33-byte compressed public key.
func (k *Key) compressedPub() []byte {
	k.PubKey()
	return k.pubC
}

// taprootPriv returns the private key tweaked for a BIP86 key-path spend.
func (k *Key) taprootPriv() *btcec.PrivateKey {
	k.tweakOnce.Do(func() { k.tweaked = txscript.TweakTaprootPrivKey(*k.priv, nil) })
	return k.tweaked
}

// WIF returns the private key in wallet import format (compressed).
func (k *Key) WIF() string {
	w, err := btcutil.NewWIF(k.priv, k.net, true)
	if err != nil { // only for a nil net, which the constructors never set
		panic(err)
	}
	return w.String()
}

// ElectrumImport returns the "type:WIF" string Electrum's restore command
// takes: p2pkh:, p2wpkh:, p2wpkh-p2sh:. Electrum 4.3.4 cannot import P2TR
// keys.
func (k *Key) ElectrumImport(t ScriptType) (string, error) {
	switch t {
	case P2PKH, P2WPKH:
		return t.String() + ":" + k.WIF(), nil
	case P2SH:
		return "p2wpkh-p2sh:" + k.WIF(), nil
	}
	return "", fmt.Errorf("electrum cannot import %s keys", t)
}

// Address returns the key's address of type t.
func (k *Key) Address(t ScriptType) (btcutil.Address, error) {
	pub := k.PubKey()
	switch t {
	case P2PKH:
		return btcutil.NewAddressPubKeyHash(btcutil.Hash160(k.compressedPub()), k.net)
	case P2WPKH:
		return btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(k.compressedPub()), k.net)
	case P2SH:
		redeem, err := k.PkScript(P2WPKH)
		if err != nil {
			return nil, err
		}
		return btcutil.NewAddressScriptHash(redeem, k.net)
	case P2TR:
		out := txscript.ComputeTaprootKeyNoScript(pub)
		return btcutil.NewAddressTaproot(schnorr.SerializePubKey(out), k.net)
	}
	return nil, fmt.Errorf("address: invalid script type %d", int(t))
}

// PkScript returns the output script paying the key with type t.
func (k *Key) PkScript(t ScriptType) ([]byte, error) {
	if t == P2WPKH { // also the P2SH redeem script; avoid recursion through Address
		return txscript.NewScriptBuilder().AddOp(txscript.OP_0).
			AddData(btcutil.Hash160(k.compressedPub())).Script()
	}
	a, err := k.Address(t)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(a)
}

// Script is an output script the wallet holds the key of.
type Script struct {
	PkScript []byte
	Type     ScriptType
	Key      *Key
	Address  string
}

func newScript(k *Key, t ScriptType) (*Script, error) {
	ps, err := k.PkScript(t)
	if err != nil {
		return nil, err
	}
	a, err := k.Address(t)
	if err != nil {
		return nil, err
	}
	return &Script{PkScript: ps, Type: t, Key: k, Address: a.EncodeAddress()}, nil
}

// Hex returns the output script in hex.
func (s *Script) Hex() string { return hex.EncodeToString(s.PkScript) }

// ScriptHash returns the Electrum script hash: sha256 of the script,
// displayed byte-reversed (sdk.Hash.String gives the protocol's hex form).
func (s *Script) ScriptHash() sdk.Hash { return sdk.Hash(sha256.Sum256(s.PkScript)) }

// keyFromWIF decodes a WIF private key into a Key with the given index.
func keyFromWIF(wif string, index int) (*Key, error) {
	w, err := btcutil.DecodeWIF(wif)
	if err != nil {
		return nil, fmt.Errorf("wif: %w", err)
	}
	net := &chaincfg.RegressionNetParams
	if !w.IsForNet(net) {
		net = &chaincfg.MainNetParams
	}
	return &Key{Index: index, priv: w.PrivKey, net: net}, nil
}
