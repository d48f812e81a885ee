package estimator

import (
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// TestMempoolRate: hand-computed answers of the histogram walk. 1 sat/vB
// is 0.00001 BTC/kvB; the relay fee is 0.00001 unless said otherwise.
func TestMempoolRate(t *testing.T) {
	three := []sdk.FeeBin{{Rate: 50, VSize: 400_000}, {Rate: 20, VSize: 400_000}, {Rate: 10, VSize: 400_000}}
	busy := sdk.MempoolStats{Txs: 3000, Bytes: 2_000_000}
	tests := []struct {
		name   string
		bins   []sdk.FeeBin
		stats  sdk.MempoolStats
		blocks int
		relay  float64
		margin float64
		want   float64
	}{
		{"empty mempool", three, sdk.MempoolStats{}, 1, 0.00001, 1, -1},
		// 400k, 800k, 1.2M > 1M at the 10 sat/vB bin.
		{"third bin crosses one block", three, busy, 1, 0.00001, 1, 0.0001},
		{"conservative x1.2", three, busy, 1, 0.00001, 1.2, 0.00012},
		// 1.2M never exceeds 2M: everything fits, the relay fee is enough.
		{"fits in two blocks", three, busy, 2, 0.00001, 1, 0.00001},
		{"fits, conservative stays at the relay fee", three, busy, 2, 0.00001, 1.2, 0.00001},
		{"first bin alone exceeds", []sdk.FeeBin{{Rate: 120.5, VSize: 1_500_000}}, busy, 1, 0.00001, 1, 0.001205},
		// Exactly 1,000,000 does not exceed one block; the next vbyte does.
		{"boundary is strict", []sdk.FeeBin{{Rate: 30, VSize: 1_000_000}, {Rate: 5, VSize: 1}}, busy, 1, 0.00001, 1, 0.00005},
		{"target 0 is one block", []sdk.FeeBin{{Rate: 8, VSize: 1_000_001}}, busy, 0, 0.00001, 1, 0.00008},
		// 0.5 sat/vB = 0.000005 BTC/kvB is below the floor.
		{"relay fee floor", []sdk.FeeBin{{Rate: 0.5, VSize: 2_000_000}}, busy, 1, 0.00001, 1, 0.00001},
		{"higher relay fee floor", three, busy, 1, 0.0002, 1, 0.0002},
		{"small mempool, no bins", nil, sdk.MempoolStats{Txs: 3, Bytes: 700}, 1, 0.00001, 1, 0.00001},
		// 12.3 sat/vB = 0.000123; x1.2 = 14.76 sat/vB = 0.0001476.
		{"rounding", []sdk.FeeBin{{Rate: 12.3, VSize: 1_100_000}}, busy, 1, 0.00001, 1, 0.000123},
		{"rounding conservative", []sdk.FeeBin{{Rate: 12.3, VSize: 1_100_000}}, busy, 1, 0.00001, 1.2, 0.0001476},
		// 10M, 20M, 26M > 25 blocks (25M) at 3 sat/vB.
		{"25 blocks", []sdk.FeeBin{{Rate: 40, VSize: 10_000_000}, {Rate: 20, VSize: 10_000_000}, {Rate: 3, VSize: 6_000_000}},
			busy, 25, 0.00001, 1, 0.00003},
	}
	for _, tt := range tests {
		if got := MempoolRate(tt.bins, tt.stats, tt.blocks, tt.relay, tt.margin); got != tt.want {
			t.Errorf("%s: MempoolRate = %v, want %v", tt.name, got, tt.want)
		}
	}
}
