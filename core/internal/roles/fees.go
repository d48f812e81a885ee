package roles

import (
	"context"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/sdk"
)

// FeeEstimator is the fee-estimator role adapter of p: an sdk.FeeEstimator
// that calls the typed FeeEstimator service of p's current process
// (pluginhost.Call), so it follows restarts and fails with the "not
// running" error while p is down. Calls to a plugin that serves no fee
// estimator (Describe lacks sdk.CapFeeEstimator) fail with
// KindUnimplemented.
func FeeEstimator(p *pluginhost.Plugin) sdk.FeeEstimator { return fees{lifecycle{p}} }

type fees struct{ lifecycle }

func (f fees) FeeRate(ctx context.Context, blocks int, mode string) (float64, error) {
	return pluginhost.Call(ctx, f.p, func(c pluginhost.Conn) (float64, error) { return c.Fees.FeeRate(ctx, blocks, mode) })
}

func (f fees) MinRelayFee(ctx context.Context) (float64, error) {
	return pluginhost.Call(ctx, f.p, func(c pluginhost.Conn) (float64, error) { return c.Fees.MinRelayFee(ctx) })
}
