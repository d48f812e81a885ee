package regtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Block assembly for submitblock: a coinbase with the BIP34 height, the
// BIP141 witness commitment, the merkle root and a nonce search against the
// regtest proof-of-work limit.

// RegtestBits is the compact target of every btcd regtest block (no
// retargeting: the proof-of-work limit, 2^255-1).
const RegtestBits = 0x207fffff

// MaxBlockWeight is the BIP141 block weight limit.
const MaxBlockWeight = 4_000_000

// witnessMagic prefixes the witness commitment output's data (BIP141).
var witnessMagic = []byte{0xaa, 0x21, 0xa9, 0xed}

// BlockTemplate is what AssembleBlock needs to build one block.
type BlockTemplate struct {
	Height   int64
	PrevHash chainhash.Hash
	Time     time.Time
	Bits     uint32 // 0: RegtestBits
	Version  int32  // 0: 0x20000000 (BIP9, no bits signalled)
	// Tag goes into the coinbase script after the height (at most 90
	// bytes); it keeps coinbases of different generators apart.
	Tag []byte
	// Payouts are the coinbase outputs; their values must add up to at
	// most the subsidy plus the fees of Txs (AssembleBlock does not know
	// the previous outputs, btcd checks).
	Payouts []*wire.TxOut
	Txs     []*wire.MsgTx // without the coinbase
}

// CoinbaseScript is the coinbase input script: the height as BIP34 wants it
// (a minimal script number push) followed by tag.
func CoinbaseScript(height int64, tag []byte) ([]byte, error) {
	b := txscript.NewScriptBuilder().AddInt64(height)
	if len(tag) > 0 {
		b.AddData(tag)
	}
	s, err := b.Script()
	if err != nil {
		return nil, err
	}
	if len(s) < 2 { // consensus: 2..100 bytes
		s = append(s, txscript.OP_0)
	}
	if len(s) > 100 {
		return nil, fmt.Errorf("coinbase script of %d bytes (max 100)", len(s))
	}
	return s, nil
}

// MerkleRoot is the Bitcoin merkle root of hashes (the last one paired with
// itself on odd levels); the zero hash for none.
func MerkleRoot(hashes []chainhash.Hash) chainhash.Hash {
	if len(hashes) == 0 {
		return chainhash.Hash{}
	}
	level := append([]chainhash.Hash(nil), hashes...)
	var buf [64]byte
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		for i := 0; i < len(level); i += 2 {
			copy(buf[:32], level[i][:])
			copy(buf[32:], level[i+1][:])
			level[i/2] = chainhash.DoubleHashH(buf[:])
		}
		level = level[:len(level)/2]
	}
	return level[0]
}

// WitnessCommitmentScript is the coinbase output script committing to the
// wtxids of txs (the block's transactions after the coinbase, whose wtxid
// counts as zero) with an all-zero witness reserved value.
func WitnessCommitmentScript(txs []*wire.MsgTx) []byte {
	ids := make([]chainhash.Hash, len(txs)+1)
	for i, tx := range txs {
		ids[i+1] = tx.WitnessHash()
	}
	root := MerkleRoot(ids)
	var reserved [32]byte
	c := chainhash.DoubleHashB(append(root[:], reserved[:]...))
	script := make([]byte, 0, 38)
	script = append(script, txscript.OP_RETURN, txscript.OP_DATA_36)
	script = append(script, witnessMagic...)
	return append(script, c...)
}

// AssembleBlock builds the block of t with its coinbase, witness commitment
// (when a transaction has witness data) and merkle root, and solves its
// proof of work.
func AssembleBlock(t BlockTemplate) (*wire.MsgBlock, error) {
	if t.Bits == 0 {
		t.Bits = RegtestBits
	}
	if t.Version == 0 {
		t.Version = 0x20000000
	}
	script, err := CoinbaseScript(t.Height, t.Tag)
	if err != nil {
		return nil, fmt.Errorf("assemble block %d: %w", t.Height, err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript: script, Sequence: wire.MaxTxInSequenceNum})
	for _, o := range t.Payouts {
		cb.AddTxOut(o)
	}
	witness := false
	for _, tx := range t.Txs {
		if tx.HasWitness() {
			witness = true
			break
		}
	}
	if witness {
		cb.TxIn[0].Witness = wire.TxWitness{make([]byte, 32)}
		cb.AddTxOut(wire.NewTxOut(0, WitnessCommitmentScript(t.Txs)))
	}
	if len(cb.TxOut) == 0 {
		return nil, fmt.Errorf("assemble block %d: the coinbase has no outputs", t.Height)
	}
	b := &wire.MsgBlock{Header: wire.BlockHeader{
		Version: t.Version, PrevBlock: t.PrevHash, Timestamp: t.Time, Bits: t.Bits,
	}}
	b.Transactions = make([]*wire.MsgTx, 0, len(t.Txs)+1)
	b.Transactions = append(append(b.Transactions, cb), t.Txs...)
	ids := make([]chainhash.Hash, len(b.Transactions))
	for i, tx := range b.Transactions {
		ids[i] = tx.TxHash()
	}
	b.Header.MerkleRoot = MerkleRoot(ids)
	if err := Solve(&b.Header); err != nil {
		return nil, fmt.Errorf("assemble block %d: %w", t.Height, err)
	}
	return b, nil
}

// Target is the proof-of-work target of compact bits (negative or
// overflowing forms are rejected).
func Target(bits uint32) (*big.Int, error) {
	mant := int64(bits & 0x007fffff)
	exp := uint(bits >> 24)
	if bits&0x00800000 != 0 && mant != 0 {
		return nil, fmt.Errorf("bits %08x: negative target", bits)
	}
	t := big.NewInt(mant)
	if exp <= 3 {
		t.Rsh(t, 8*(3-exp))
	} else {
		t.Lsh(t, 8*(exp-3))
	}
	if t.BitLen() > 256 {
		return nil, fmt.Errorf("bits %08x: target overflows", bits)
	}
	return t, nil
}

// hashValue is a block hash read as the little-endian number PoW compares.
func hashValue(h chainhash.Hash) *big.Int {
	var be [32]byte
	for i := range h {
		be[31-i] = h[i]
	}
	return new(big.Int).SetBytes(be[:])
}

// MeetsTarget reports whether the header's hash is at most its target.
func MeetsTarget(h *wire.BlockHeader) bool {
	t, err := Target(h.Bits)
	if err != nil || t.Sign() <= 0 {
		return false
	}
	return hashValue(h.BlockHash()).Cmp(t) <= 0
}

// ErrNoNonce is returned by Solve when no nonce meets the target.
var ErrNoNonce = errors.New("no nonce meets the target")

// Solve searches the nonce (from the header's current one) until the
// header meets its target; with the regtest target about one try in two
// succeeds. Only sensible for easy targets: it does not touch the time or
// an extra nonce.
func Solve(h *wire.BlockHeader) error {
	t, err := Target(h.Bits)
	if err != nil {
		return err
	}
	var buf [80]byte
	for tries := uint64(0); tries <= 0xffffffff; tries++ {
		w := sliceWriter{b: buf[:0]}
		if err := h.Serialize(&w); err != nil {
			return err
		}
		first := sha256.Sum256(w.b)
		hash := chainhash.Hash(sha256.Sum256(first[:]))
		if hashValue(hash).Cmp(t) <= 0 {
			return nil
		}
		h.Nonce++
	}
	return ErrNoNonce
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// SubmitBlock sends b with submitblock. btcd answers null when it accepted
// the block and a reason string when it rejected it (an error here).
func (c *Client) SubmitBlock(ctx context.Context, b *wire.MsgBlock) error {
	raw, err := blockHex(b)
	if err != nil {
		return err
	}
	res, err := c.Call(ctx, "submitblock", raw)
	if err != nil {
		return err
	}
	var reason *string
	if err := json.Unmarshal(res, &reason); err != nil {
		return fmt.Errorf("submitblock: %w", err)
	}
	if reason != nil {
		return fmt.Errorf("submitblock %s: rejected: %s", b.BlockHash(), *reason)
	}
	return nil
}

func blockHex(b *wire.MsgBlock) (string, error) {
	w := sliceWriter{b: make([]byte, 0, b.SerializeSize())}
	if err := b.Serialize(&w); err != nil {
		return "", fmt.Errorf("serialize block: %w", err)
	}
	return hex.EncodeToString(w.b), nil
}
