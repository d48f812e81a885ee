package estimator

import (
	"math"

	"github.com/amber-electrum/amber/sdk"
)

// BlockVSize is the virtual size one block holds, in vB (4,000,000 weight
// units).
const BlockVSize = 1_000_000

// satPerVBToBTCPerKvB converts a fee rate: 1 sat/vB is 1000 sat/kvB, that
// is 0.00001 BTC/kvB.
const satPerVBToBTCPerKvB = 1000 / 1e8

// roundSat rounds a BTC/kvB rate to 8 decimals (whole satoshis per kvB).
func roundSat(r float64) float64 { return math.Round(r*1e8) / 1e8 }

// MempoolRate is the mempool source's algorithm (see the package doc): the
// fee rate in BTC/kvB for confirmation within blocks blocks, given the
// compact histogram bins (highest rate first), the mempool's stats and the
// relay fee floor in BTC/kvB; -1 for an empty mempool. margin (>= 1)
// multiplies the histogram rate (CONSERVATIVE mode; 1 for ECONOMICAL).
func MempoolRate(bins []sdk.FeeBin, stats sdk.MempoolStats, blocks int, relayFee, margin float64) float64 {
	if stats.Txs <= 0 {
		return -1
	}
	space := int64(max(blocks, 1)) * BlockVSize
	var total int64
	for _, b := range bins {
		total += b.VSize
		if total > space {
			return max(roundSat(b.Rate*margin*satPerVBToBTCPerKvB), relayFee)
		}
	}
	return relayFee
}
