package regtest

import (
	"math"

	"github.com/btcsuite/btcd/wire"
)

// Transaction shapes of GenerateFast, drawn per transaction:
//
//	88 % payments: 1 input (70 %), 2 (22 %) or 3-5 (8 %); one payment
//	     (60 %), 2 (25 %) or 3-4, and change
//	 6 % self transfers: 1 input, 1 output
//	 2 % batch payouts: 1-2 inputs, 20-100 payments and change
//	 2 % consolidations: 10-60 inputs, 1 output
//	 2 % bigger payments: 6-9 inputs, 1 payment and change
//
// Change goes to a random wallet key; a payment goes to a random wallet
// key too (the payee is another user of the same chain, who spends it
// later) except one in foreignShare, which pays a fresh script outside the
// wallet that is never spent (coins at rest: the UTXO set grows).
//
// Some transactions also pay a heavy script (Heavy x HeavyTxs of them);
// whenever a heavy script holds heavySweepAt unspent outputs, heavySweep of
// them are swept back to it by one transaction. Fee rates are 1-20 sat/vB
// of the signed size's upper bound.

const (
	heavySweepAt = 1000
	heavySweep   = 100
	minChange    = 1000
	minPayment   = 2_000 // well above every type's dust threshold
	topUpBelow   = 5_000
	maxTopUp     = 12
	foreignShare = 10 // one payment in foreignShare leaves the wallet
)

type plannedOut struct {
	foreign bool
	script  *Script  // wallet script (nil if foreign)
	heavy   int      // heavy script index, -1 if none
	track   *Tracked // foreign tracked script
	typ     string
}

type plannedTx struct {
	tx     *wire.MsgTx
	prevs  []UTXO
	outs   []plannedOut
	fee    int64
	weight int64 // upper bound
}

// plan draws up to want transactions for the next block, within the block
// weight limit.
func (g *fastGen) plan(want int) []*plannedTx {
	var out []*plannedTx
	weight := int64(8000) // header, coinbase and counts, generously
	for misses := 0; len(out) < want && len(g.pool) > 0 && misses < 1000; {
		p := g.planOne()
		if p == nil {
			misses++
			continue
		}
		if weight+p.weight > MaxBlockWeight {
			g.unplan(p)
			break
		}
		weight += p.weight
		out = append(out, p)
	}
	return out
}

// unplan returns the inputs of a planned transaction to their pools.
func (g *fastGen) unplan(p *plannedTx) {
	for _, u := range p.prevs {
		if j := g.heavyIndex(u.Script); j >= 0 {
			g.heavyPool[j] = append(g.heavyPool[j], u)
		} else {
			g.pool = append(g.pool, u)
		}
	}
}

func (g *fastGen) heavyIndex(s *Script) int {
	for j, h := range g.heavy {
		if h == s {
			return j
		}
	}
	return -1
}

// take removes and returns a random element of *s.
func (g *fastGen) take(s *[]UTXO) UTXO {
	i := g.rng.IntN(len(*s))
	u := (*s)[i]
	last := len(*s) - 1
	(*s)[i] = (*s)[last]
	*s = (*s)[:last]
	return u
}

// logUniform draws from [lo, hi) with a uniform logarithm.
func (g *fastGen) logUniform(lo, hi float64) int64 {
	return int64(lo * math.Exp(g.rng.Float64()*math.Log(hi/lo)))
}

func (g *fastGen) walletOut() plannedOut {
	s := g.keys[g.rng.IntN(len(g.keys))]
	return plannedOut{script: s, heavy: -1, typ: outputKind(s.Type)}
}

// outputKind names an output by its script form, as FastInfo.ByType
// counts it: a nested-segwit output is a p2sh output.
func outputKind(t ScriptType) string {
	if t == P2SH {
		return "p2sh"
	}
	return t.String()
}

// payee is a payment's destination: a wallet key, or a fresh foreign
// script one time in foreignShare.
func (g *fastGen) payee() plannedOut {
	if g.rng.IntN(foreignShare) == 0 {
		return g.foreignOut()
	}
	return g.walletOut()
}

func (g *fastGen) foreignOut() plannedOut {
	pk, typ := g.foreignScript()
	o := plannedOut{foreign: true, heavy: -1, typ: typ, script: &Script{PkScript: pk}}
	g.foreignN++
	if e := g.spec.ForeignWatchEvery; e > 0 && g.foreignN%e == 0 {
		o.track = &Tracked{PkScript: pk, Type: typ, Address: foreignAddress(pk)}
		g.info.Tracked = append(g.info.Tracked, o.track)
	}
	return o
}

// planOne draws one transaction; nil if its inputs could not pay for it
// (they are then dropped from the pool: dust stays unspent).
func (g *fastGen) planOne() *plannedTx {
	for j := range g.heavyPool {
		if len(g.heavyPool[j]) >= heavySweepAt {
			return g.sweep(j)
		}
	}
	var nIn int
	var pays []plannedOut
	var payLo, payHi float64 = 1_000, 1_000_000
	switch r := g.rng.IntN(100); {
	case r < 2 && len(g.pool) >= 200: // consolidation
		nIn = 10 + g.rng.IntN(51)
	case r < 4: // batch payout
		nIn = 1 + g.rng.IntN(2)
		payLo, payHi = 2_000, 60_000
		for range 20 + g.rng.IntN(81) {
			pays = append(pays, g.payee())
		}
	case r < 10: // self transfer
		nIn = 1
	case r < 12: // bigger payment
		nIn = 6 + g.rng.IntN(4)
		pays = append(pays, g.payee())
	default: // payment
		switch q := g.rng.IntN(100); {
		case q < 70:
			nIn = 1
		case q < 92:
			nIn = 2
		default:
			nIn = 3 + g.rng.IntN(3)
		}
		n := 1
		switch q := g.rng.IntN(100); {
		case q >= 85:
			n = 3 + g.rng.IntN(2)
		case q >= 60:
			n = 2
		}
		for range n {
			pays = append(pays, g.payee())
		}
	}
	prevs := make([]UTXO, 0, nIn)
	var sum int64
	// Coin selection: the drawn inputs, and more while they hold less than
	// topUpBelow (a wallet sweeps its dust into a payment).
	for (len(prevs) < nIn || sum < topUpBelow && len(prevs) < maxTopUp) && len(g.pool) > 0 {
		u := g.take(&g.pool)
		prevs = append(prevs, u)
		sum += u.Value
	}
	// Payments are drawn log-uniformly, then scaled down to a budget of
	// 20-60 % of the inputs when they would take more: the change keeps
	// most of the value, as a wallet's does.
	values := make([]int64, len(pays))
	var want int64
	for i := range pays {
		values[i] = g.logUniform(payLo, payHi)
		want += values[i]
	}
	if budget := sum * int64(2+g.rng.IntN(5)) / 10; want > budget && want > 0 {
		for i := range values {
			values[i] = max(values[i]*budget/want, minPayment)
		}
	}
	if g.spec.Heavy > 0 && g.spec.Txs > 0 &&
		g.rng.Float64() < float64(g.spec.Heavy*g.spec.HeavyTxs)/float64(g.spec.Txs) {
		j := g.rng.IntN(g.spec.Heavy)
		pays = append(pays, plannedOut{script: g.heavy[j], heavy: j, typ: outputKind(g.heavy[j].Type)})
		values = append(values, 5_000+g.rng.Int64N(25_000))
	}
	return g.build(prevs, pays, values)
}

// sweep spends heavySweep outputs of heavy script j back to it.
func (g *fastGen) sweep(j int) *plannedTx {
	prevs := make([]UTXO, 0, heavySweep)
	for range heavySweep {
		prevs = append(prevs, g.take(&g.heavyPool[j]))
	}
	return g.buildChange(prevs, nil, nil, plannedOut{script: g.heavy[j], heavy: j, typ: outputKind(g.heavy[j].Type)})
}

// build adds a wallet change output to pays and prices the transaction.
func (g *fastGen) build(prevs []UTXO, pays []plannedOut, values []int64) *plannedTx {
	return g.buildChange(prevs, pays, values, g.walletOut())
}

// buildChange makes the unsigned transaction spending prevs to pays (with
// values) and change, at a drawn fee rate; payments are dropped from the
// end while the change would be under minChange.
func (g *fastGen) buildChange(prevs []UTXO, pays []plannedOut, values []int64, change plannedOut) *plannedTx {
	rate := float64(1 + g.rng.IntN(20))
	var sum int64
	for _, u := range prevs {
		sum += u.Value
	}
	for {
		tx := wire.NewMsgTx(2)
		for _, u := range prevs {
			tx.AddTxIn(wire.NewTxIn(&u.OutPoint, nil, nil))
		}
		rest := sum
		for i, o := range pays {
			tx.AddTxOut(wire.NewTxOut(values[i], o.script.PkScript))
			rest -= values[i]
		}
		tx.AddTxOut(wire.NewTxOut(0, change.script.PkScript))
		vsize := estimateVSize(tx, prevs)
		fee := FeeFor(rate, vsize)
		if rest-fee >= minChange {
			tx.TxOut[len(pays)].Value = rest - fee
			outs := append(pays, change)
			for i := range outs {
				if outs[i].foreign {
					outs[i].script = nil
				}
			}
			return &plannedTx{tx: tx, prevs: prevs, outs: outs, fee: fee, weight: 4 * vsize}
		}
		if len(pays) == 0 {
			g.info.DustLeft += len(prevs)
			return nil // dust: the inputs leave the pool
		}
		pays, values = pays[:len(pays)-1], values[:len(values)-1]
	}
}
