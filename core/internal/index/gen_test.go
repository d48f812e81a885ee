package index

import (
	"math/rand"

	"github.com/btcsuite/btcd/wire"
)

var scriptPool = [][]byte{p2pkh(1), p2pkh(2), p2wpkh(3), p2wpkh(4), p2pkh(5), opReturn}

type genUTXO struct {
	op    wire.OutPoint
	value int64
}

// replayUTXOs returns the spendable outputs of blocks (genesis excluded).
func replayUTXOs(blocks []*wire.MsgBlock) []genUTXO {
	set := map[wire.OutPoint]int64{}
	var order []wire.OutPoint
	for _, b := range blocks[1:] {
		for i, tx := range b.Transactions {
			if i > 0 {
				for _, in := range tx.TxIn {
					delete(set, in.PreviousOutPoint)
				}
			}
			for v, o := range tx.TxOut {
				if !unspendable(o.PkScript) {
					p := wire.OutPoint{Hash: tx.TxHash(), Index: uint32(v)}
					set[p] = o.Value
					order = append(order, p)
				}
			}
		}
	}
	var out []genUTXO
	for _, p := range order {
		if v, ok := set[p]; ok {
			out = append(out, genUTXO{p, v})
		}
	}
	return out
}

// genChain extends base (which starts with genesis) by n random blocks.
// Transactions spend random earlier outputs, including outputs created
// earlier in the same block, and pay to scriptPool.
func genChain(base []*wire.MsgBlock, n int, seed int64, tag byte) []*wire.MsgBlock {
	r := rand.New(rand.NewSource(seed))
	blocks := append([]*wire.MsgBlock(nil), base...)
	utxos := replayUTXOs(blocks)
	for k := 0; k < n; k++ {
		h := int64(len(blocks))
		cb := coinbase(h, tag, out{scriptPool[r.Intn(5)], 50e8}, out{opReturn, 0})
		txs := []*wire.MsgTx{cb}
		var fresh []genUTXO
		for t := r.Intn(4); t > 0 && len(utxos) > 0; t-- {
			nin := 1 + r.Intn(min(2, len(utxos)))
			var ins []wire.OutPoint
			var total int64
			for i := 0; i < nin; i++ {
				j := r.Intn(len(utxos))
				ins = append(ins, utxos[j].op)
				total += utxos[j].value
				utxos = append(utxos[:j], utxos[j+1:]...)
			}
			fee := int64(r.Intn(1000))
			a := (total - fee) / 2
			outs := []out{{scriptPool[r.Intn(len(scriptPool))], a}, {scriptPool[r.Intn(5)], total - fee - a}}
			tx := spend(ins, r.Intn(2) == 0, outs...)
			txs = append(txs, tx)
			for v, o := range tx.TxOut {
				if !unspendable(o.PkScript) {
					g := genUTXO{wire.OutPoint{Hash: tx.TxHash(), Index: uint32(v)}, o.Value}
					if r.Intn(2) == 0 {
						utxos = append(utxos, g) // may be spent later in this block
					} else {
						fresh = append(fresh, g)
					}
				}
			}
		}
		utxos = append(utxos, fresh...)
		for v, o := range cb.TxOut {
			if !unspendable(o.PkScript) {
				utxos = append(utxos, genUTXO{wire.OutPoint{Hash: cb.TxHash(), Index: uint32(v)}, o.Value})
			}
		}
		blocks = append(blocks, mkBlock(blocks[len(blocks)-1], h, tag, txs...))
	}
	return blocks
}
