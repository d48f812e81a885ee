package electrum

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Cost is a method's cost rule in the registry. Rule says it in words
// (docs/methods.md prints it); Of computes one charge from the request's
// units. Handlers charge through call.charge, which applies the method's
// rule: no cost literal lives in a handler.
type Cost struct {
	Rule string
	Of   func(u units) float64
}

// units are the request-dependent quantities a cost rule reads. Each rule
// documents which it uses.
type units struct {
	N      int     // the count the rule names (headers served, mempool txs, UTXOs, hex characters)
	Lookup float64 // a component cost computed before (H, T, M or S below)
	Proof  bool    // a cp_height proof is served
	Miss   bool    // estimatefee: the fee cache missed and the daemon is asked
}

// fixed is a rule charging c on every call that passes parameter checks.
func fixed(c float64) Cost {
	return Cost{Rule: fmtCost(c), Of: func(units) float64 { return c }}
}

// lookupOnly charges the component cost the handler computed (u.Lookup).
func lookupOnly(rule string) Cost {
	return Cost{Rule: rule, Of: func(u units) float64 { return u.Lookup }}
}

// The component costs below are shared by several methods and by the
// notifications; docs/methods.md lists them under these letters.

// historyCost is H, the confirmed-history lookup: 0.1 from the cache; on
// a miss 0.1 + (0.1 + 0.001 × confirmed txs).
func historyCost(cached bool, confirmed int) float64 {
	cost := 0.1
	if !cached {
		cost += 0.1 + 0.001*float64(confirmed)
	}
	return cost
}

// statusCost is S, a script hash status: H + 0.1 + 0.00002 × status-string
// bytes.
func statusCost(h float64, statusBytes int) float64 {
	return h + 0.1 + 0.00002*float64(statusBytes)
}

// Block txid lookup costs (T): a cache hit, a block without indexed
// transactions (genesis), and a read of ntx txids.
const txidsCachedCost, txidsEmptyCost = 0.1, 0.25

func txidsReadCost(ntx int) float64 { return 0.25 + 0.0001*float64(ntx) }

// merkleCost is M, a merkle branch in a block of ntx transactions: ntx /
// 2500; 10 × √ntx / 2500 when the block's tree was cached and the block
// has at least merkleCacheMin transactions.
func merkleCost(ntx int, warm bool) float64 {
	n := float64(ntx)
	if warm && ntx >= merkleCacheMin {
		return 10 * math.Sqrt(n) / 2500
	}
	return n / 2500
}

// ComponentCost is a cost several methods share, under its letter.
type ComponentCost struct{ Name, Rule string }

// ComponentCosts documents H, S, T and M for docs/methods.md.
func ComponentCosts() []ComponentCost { return slices.Clone(componentCosts) }

var componentCosts = []ComponentCost{
	{"H", "confirmed-history lookup: 0.1 from the cache; 0.2 + 0.001 × confirmed txs on a miss"},
	{"S", "script hash status: H + 0.1 + 0.00002 × status-string bytes (also charged for each status a notification recomputes)"},
	{"T", "block txids: 0.1 from the cache; 0.25 + 0.0001 × txs in the block on a miss (0.25 for a block without indexed txs)"},
	{"M", fmt.Sprintf("merkle branch: txs in the block / 2500; 10 × √txs / 2500 when the block's tree is cached and the block has at least %d txs", merkleCacheMin)},
}

// fmtCost prints a fixed cost for docs/methods.md ("0.25", "1", "100").
func fmtCost(c float64) string { return strconv.FormatFloat(c, 'f', -1, 64) }
