package regtest

import (
	"context"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/wire"
)

// Transaction shapes of Generate.

// pickCount draws from {1, 2, 3} with weights w1, w2 (out of 10) for 1 and 2.
func (g *generator) pickCount(w1, w2 int) int {
	switch r := g.rng.IntN(10); {
	case r < w1:
		return 1
	case r < w1+w2:
		return 2
	}
	return 3
}

// makeTx builds, signs and applies one transaction for the next block (or
// the mempool). forced, if set, is its first input; sameBlock allows an
// input created in the block being built. It returns nil when the wallet has
// nothing left to spend.
func (g *generator) makeTx(forced *UTXO, sameBlock bool) (*wire.MsgTx, error) {
	var ins []UTXO
	var fromFresh []bool
	switch {
	case forced != nil:
		ins, fromFresh = append(ins, *forced), append(fromFresh, true)
	case sameBlock && len(g.fresh) > 0 && g.rng.IntN(4) == 0:
		ins, fromFresh = append(ins, g.take(&g.fresh)), append(fromFresh, true)
	}
	for n := g.pickCount(6, 3); len(ins) < n && len(g.ready) > 0; {
		ins, fromFresh = append(ins, g.take(&g.ready)), append(fromFresh, false)
	}
	if len(ins) == 0 {
		return nil, nil
	}
	nOut := g.pickCount(3, 5)
	for _, u := range ins {
		if u.Coinbase { // fan coinbases out, like a pool payout
			nOut = 2 + g.rng.IntN(7)
		}
	}
	rate := 1 + float64(int((g.spec.MaxFeeRate-1)*10*g.rng.Float64()))/10
	heavy := !g.inMempool && g.heavy != nil && g.heavyN < g.heavyDue
	var heavyValue int64
	if heavy {
		heavyValue = MinOutput + g.rng.Int64N(20_000)
	}
	var spendable int64
	for {
		var sum int64
		for _, u := range ins {
			sum += u.Value
		}
		extra := 0
		if heavy {
			extra = 1
		}
		feeBound := FeeFor(rate, int64(11+150*len(ins)+45*(nOut+extra)))
		spendable = sum - heavyValue - feeBound
		for nOut > 1 && spendable < int64(nOut)*2*MinOutput {
			nOut--
		}
		if spendable >= int64(nOut)*2*MinOutput {
			break
		}
		if len(ins) >= 8 || len(g.ready) == 0 {
			g.putBack(ins, fromFresh)
			return nil, nil
		}
		ins, fromFresh = append(ins, g.take(&g.ready)), append(fromFresh, false)
	}
	if fromFresh[0] && forced == nil {
		g.info.SameBlockSpends++
	}
	outs := make([]*wire.TxOut, 0, nOut+1)
	share := spendable / int64(nOut)
	for range nOut - 1 {
		outs = append(outs, wire.NewTxOut(share/2+g.rng.Int64N(share/2+1), g.dest().PkScript))
	}
	if heavy {
		outs = append(outs, wire.NewTxOut(heavyValue, g.heavy.PkScript))
	}
	outs = append(outs, wire.NewTxOut(0, g.dest().PkScript)) // change
	tx, _, err := CreateTx(ins, outs, len(outs)-1, rate)
	if err != nil {
		return nil, err
	}
	e := g.w.AddTx(tx)
	for _, u := range e.Received {
		switch {
		case u.Script == g.heavy:
		case u.Spendable(g.tip):
			g.fresh = append(g.fresh, u)
		default:
			g.unspendOK = append(g.unspendOK, u)
		}
	}
	if heavy {
		g.heavyN++
	}
	return tx, nil
}

// putBack returns unused inputs to the pools they came from.
func (g *generator) putBack(ins []UTXO, fromFresh []bool) {
	for i, u := range ins {
		if fromFresh[i] {
			g.fresh = append(g.fresh, u)
		} else {
			g.ready = append(g.ready, u)
		}
	}
}

// takeOutputOf removes and returns a random fresh output of txid.
func (g *generator) takeOutputOf(txid sdk.Hash) (UTXO, bool) {
	var idx []int
	for i, u := range g.fresh {
		if sdk.Hash(u.OutPoint.Hash) == txid {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return UTXO{}, false
	}
	i := idx[g.rng.IntN(len(idx))]
	u := g.fresh[i]
	g.fresh = append(g.fresh[:i], g.fresh[i+1:]...)
	return u, true
}

// fillMempool sends spec.MempoolTxs transactions and leaves them
// unconfirmed; two of every three spend an output of the previous one.
func (g *generator) fillMempool(ctx context.Context, node Chain) error {
	if g.spec.MempoolTxs == 0 {
		return nil
	}
	g.inMempool = true
	g.promote()
	var txs []*wire.MsgTx
	var prev sdk.Hash
	for i := range g.spec.MempoolTxs {
		var forced *UTXO
		if i%3 != 0 && len(txs) > 0 {
			if u, ok := g.takeOutputOf(prev); ok {
				forced = &u
			}
		}
		tx, err := g.makeTx(forced, false)
		if err != nil {
			return err
		}
		if tx == nil {
			break
		}
		txs = append(txs, tx)
		txid := sdk.Hash(tx.TxHash())
		prev = txid
		d := 1
		for _, in := range tx.TxIn {
			if pd, ok := g.depth[sdk.Hash(in.PreviousOutPoint.Hash)]; ok && pd+1 > d {
				d = pd + 1
			}
		}
		g.depth[txid] = d
		g.info.MempoolDepth = max(g.info.MempoolDepth, d)
		g.info.Mempool = append(g.info.Mempool, txid)
	}
	if _, err := node.SendRawTxs(ctx, txs); err != nil {
		return err
	}
	for _, tx := range txs {
		e := g.w.AddTx(tx) // already applied: returns the recorded effect
		for _, s := range e.Scripts {
			if si := g.byHex[s.Hex()]; si != nil {
				si.History = append(si.History, HistoryEntry{Txid: e.Txid})
			}
		}
	}
	return nil
}
