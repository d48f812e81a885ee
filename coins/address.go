package coins

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// AddressToScript decodes an address of this network and returns its output
// script. Addresses of other networks are rejected (testnet, signet and
// regtest share their base58 prefixes, so a base58 address of one of them is
// accepted by the others, as in bitcoind).
func (n *Network) AddressToScript(addr string) ([]byte, error) {
	a, err := btcutil.DecodeAddress(addr, n.Params)
	if err != nil {
		return nil, fmt.Errorf("address %q on %s: %w", addr, n, err)
	}
	if !a.IsForNet(n.Params) {
		return nil, fmt.Errorf("address %q is not a %s address", addr, n)
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return nil, fmt.Errorf("address %q on %s: %w", addr, n, err)
	}
	return script, nil
}

// ScriptToAddress returns the address paying to script, for the standard
// single-address forms (P2PKH, P2SH, P2WPKH, P2WSH, P2TR). It reports false
// for anything else (bare pubkey, multisig, OP_RETURN, non-standard).
func (n *Network) ScriptToAddress(script []byte) (string, bool) {
	class, addrs, _, err := txscript.ExtractPkScriptAddrs(script, n.Params)
	if err != nil || len(addrs) != 1 {
		return "", false
	}
	switch class {
	case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy,
		txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
		return addrs[0].EncodeAddress(), true
	default:
		return "", false
	}
}
