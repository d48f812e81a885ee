package index

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// parsedBlock is a block decoded from the daemon's raw bytes.
type parsedBlock struct {
	height int64
	hash   sdk.Hash
	header []byte
	msg    *wire.MsgBlock
	txids  []sdk.Hash
	size   int
}

func parseBlock(b sdk.Block) (*parsedBlock, error) {
	var msg wire.MsgBlock
	if err := msg.Deserialize(bytes.NewReader(b.Raw)); err != nil {
		return nil, fmt.Errorf("block %d: %w", b.Height, err)
	}
	var hb bytes.Buffer
	if err := msg.Header.Serialize(&hb); err != nil {
		return nil, fmt.Errorf("block %d header: %w", b.Height, err)
	}
	p := &parsedBlock{height: b.Height, hash: sdk.Hash(msg.BlockHash()), header: hb.Bytes(), msg: &msg, size: len(b.Raw)}
	p.txids = txidsOf(&msg, b.Raw)
	return p, nil
}

// txidsOf hashes the transactions of msg, decoded from raw, straight from
// raw's bytes: wire.MsgTx.TxHash serializes each transaction again
// (a third of the workers' parse time in the initial sync's profile).
// The stripped serialization of a witness transaction is three ranges of
// its bytes: the version, the inputs and outputs, the lock time. Should
// raw's layout not be the one msg's sizes describe (a marker and flag
// without any witness, trailing bytes), every txid is computed the slow
// way instead.
func txidsOf(msg *wire.MsgBlock, raw []byte) []sdk.Hash {
	txids := make([]sdk.Hash, len(msg.Transactions))
	off := wire.MaxBlockHeaderPayload + wire.VarIntSerializeSize(uint64(len(msg.Transactions)))
	h := sha256.New()
	var sum [sha256.Size]byte
	ok := true
	for i, tx := range msg.Transactions {
		size := tx.SerializeSize()
		if off+size > len(raw) || size < 10 {
			ok = false
			break
		}
		t := raw[off : off+size]
		h.Reset()
		if tx.HasWitness() {
			stripped := tx.SerializeSizeStripped()
			if t[4] != 0 || t[5] != 1 || stripped < 10 || stripped+2 > size {
				ok = false
				break
			}
			h.Write(t[:4])
			h.Write(t[6 : stripped-2])
			h.Write(t[size-4:])
		} else {
			if t[4] == 0 { // a marker byte: not the layout of a stripped tx
				ok = false
				break
			}
			h.Write(t)
		}
		txids[i] = sha256.Sum256(h.Sum(sum[:0]))
		off += size
	}
	if !ok || off != len(raw) {
		for i, tx := range msg.Transactions {
			txids[i] = sdk.Hash(tx.TxHash())
		}
	}
	return txids
}

func (p *parsedBlock) prev() sdk.Hash { return sdk.Hash(p.msg.Header.PrevBlock) }

// headerHash is the block hash of an 80-byte header.
func headerHash(h []byte) sdk.Hash { return sdk.Hash(chainhash.DoubleHashH(h)) }

// vsize is ceil(weight/4).
func vsize(tx *wire.MsgTx) int64 {
	w := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
	return (w + 3) / 4
}

// unspendable reports outputs never indexed: OP_RETURN or OP_FALSE OP_RETURN.
func unspendable(script []byte) bool {
	return len(script) > 0 && script[0] == 0x6a ||
		len(script) > 1 && script[0] == 0x00 && script[1] == 0x6a
}

// errChain marks an inconsistency between the daemon's chain and the index
// (missing UTXO, missing undo data): following stops.
var errChain = errors.New("chain inconsistency")

// touchSet collects touched hashXs.
type touchSet map[HashX]struct{}

func (t touchSet) add(hx HashX) { t[hx] = struct{}{} }

// setFresh writes a key that is absent from tx, letting the store skip a
// lookup if the key is deleted again in the same transaction.
func setFresh(tx store.Writer, k, v []byte) error {
	if f, ok := tx.(store.FreshSetter); ok {
		return f.SetFresh(k, v)
	}
	return tx.Set(k, v)
}

func appendUnique(s []HashX, hx HashX) []HashX {
	for _, x := range s {
		if x == hx {
			return s
		}
	}
	return append(s, hx)
}

func chainHash(h sdk.Hash) chainhash.Hash { return chainhash.Hash(h) }
