package proof

import (
	"bytes"
	"encoding/hex"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/plugins/bmm/bip301"
	"github.com/amber-electrum/amber/sdk"
)

func verify(r *Result, txid sdk.Hash, sideHeader []byte, sc uint8) error {
	var sh wire.BlockHeader
	if len(sideHeader) != 80 || sh.Deserialize(bytes.NewReader(sideHeader)) != nil {
		return fail("sidechain header is not 80 bytes")
	}
	br, err := merkle.ParseDisplay(r.Merkle)
	if err != nil {
		return fail("merkle: %v", err)
	}
	if merkle.Fold(txid, br, r.Pos) != sdk.Hash(sh.MerkleRoot) {
		return fail("sidechain branch does not lead to the header's merkle root")
	}
	hstar := merkle.DoubleSHA256(sideHeader)
	if r.BMM.CriticalHash != hstar.String() {
		return fail("critical_hash %s is not the sidechain header's hash %s", r.BMM.CriticalHash, hstar)
	}
	if r.BMM.SidechainNumber != int(sc) {
		return fail("sidechain_number %d, want %d", r.BMM.SidechainNumber, sc)
	}
	cbRaw, err := hex.DecodeString(r.BMM.Coinbase)
	if err != nil {
		return fail("coinbase: %v", err)
	}
	var cb wire.MsgTx
	rd := bytes.NewReader(cbRaw)
	if err := cb.Deserialize(rd); err != nil {
		return fail("coinbase: %v", err)
	}
	if rd.Len() != 0 {
		return fail("coinbase: %d bytes after the transaction", rd.Len())
	}
	if len(cb.TxIn) != 1 || cb.TxIn[0].PreviousOutPoint.Index != wire.MaxPrevOutIndex || cb.TxIn[0].PreviousOutPoint.Hash != ([32]byte{}) {
		return fail("coinbase is not a coinbase transaction")
	}
	accepts := bip301.ForSidechain(&cb, sc)
	if len(accepts) > 1 {
		return fail("coinbase holds %d BMM Accepts for sidechain %d: it accepts none", len(accepts), sc)
	}
	if len(accepts) == 0 || sdk.Hash(accepts[0].HStar) != hstar {
		return fail("coinbase holds no BMM Accept for sidechain %d and h* %s", sc, hstar)
	}
	mhRaw, err := hex.DecodeString(r.BMM.MainHeader)
	if err != nil || len(mhRaw) != 80 {
		return fail("main_header is not 80 bytes of hex")
	}
	var mh wire.BlockHeader
	if err := mh.Deserialize(bytes.NewReader(mhRaw)); err != nil {
		return fail("main_header: %v", err)
	}
	cbBranch, err := merkle.ParseDisplay(r.BMM.CoinbaseMerkle)
	if err != nil {
		return fail("coinbase_merkle: %v", err)
	}
	// The txid is the hash of the non-witness serialisation, whether or
	// not the coinbase was sent with its witness.
	if merkle.Fold(sdk.Hash(cb.TxHash()), cbBranch, 0) != sdk.Hash(mh.MerkleRoot) {
		return fail("coinbase branch does not lead to main_header's merkle root")
	}
	if merkle.DoubleSHA256(mhRaw).String() != r.BMM.MainBlockHash {
		return fail("main_header does not hash to main_block_hash %s", r.BMM.MainBlockHash)
	}
	return nil
}
