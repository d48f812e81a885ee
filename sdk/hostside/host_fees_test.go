package hostside_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// staticFees is a FeeHost with fixed answers.
type staticFees struct {
	bins  []sdk.FeeBin
	stats sdk.MempoolStats
	err   error
}

func (f staticFees) FeeHistogram(context.Context) ([]sdk.FeeBin, error)     { return f.bins, f.err }
func (f staticFees) MempoolStats(context.Context) (sdk.MempoolStats, error) { return f.stats, f.err }

// feeClient serves impl as amberd's fee service and returns the plugin
// side's FeeHost for it.
func feeClient(t *testing.T, impl sdk.FeeHost) sdk.FeeHost {
	host := struct {
		sdk.Host
		sdk.FeeHost
	}{sdktest.NewFakeHost(1), impl}
	return sdktest.WireHost(t, host).(sdk.FeeHost)
}

func TestFeeHostWire(t *testing.T) {
	bins := []sdk.FeeBin{{Rate: 21.5, VSize: 150_000}, {Rate: 0, VSize: 7}}
	c := feeClient(t, staticFees{bins: bins, stats: sdk.MempoolStats{Txs: 12, Bytes: 3456}})
	got, err := c.FeeHistogram(t.Context())
	if err != nil || !slices.Equal(got, bins) {
		t.Errorf("FeeHistogram = %v, %v; want %v", got, err, bins)
	}
	st, err := c.MempoolStats(t.Context())
	if err != nil || st != (sdk.MempoolStats{Txs: 12, Bytes: 3456}) {
		t.Errorf("MempoolStats = %+v, %v", st, err)
	}

	failing := feeClient(t, staticFees{err: sdk.Errorf(sdk.KindUnavailable, "index closing")})
	if _, err := failing.FeeHistogram(t.Context()); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("host error: %v, want unavailable", err)
	}
	if _, err := failing.MempoolStats(t.Context()); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("host error: %v, want unavailable", err)
	}
}

// TestFeeHostMalformed: bins with impossible values are refused as a
// malformed host reply.
func TestFeeHostMalformed(t *testing.T) {
	for _, b := range []sdk.FeeBin{{Rate: -1, VSize: 10}, {Rate: math.NaN(), VSize: 10}, {Rate: math.Inf(1), VSize: 10}, {Rate: 3, VSize: -5}} {
		c := feeClient(t, staticFees{bins: []sdk.FeeBin{{Rate: 9, VSize: 1}, b}})
		if got, err := c.FeeHistogram(t.Context()); sdk.KindOf(err) != sdk.KindInternal || got != nil {
			t.Errorf("bin %+v: %v, %v; want an internal error", b, got, err)
		}
	}
}
