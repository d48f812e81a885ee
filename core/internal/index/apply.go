package index

import (
	"bytes"
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
	p.txids = make([]sdk.Hash, len(msg.Transactions))
	for i, tx := range msg.Transactions {
		p.txids[i] = sdk.Hash(tx.TxHash())
	}
	return p, nil
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
