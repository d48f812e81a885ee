package pluginhost

import (
	"context"

	"github.com/amber-electrum/amber/sdk"
)

// hostFees is the FeeEstimator Plugin.Fees returns: it calls the current
// instance's SDK adapter (so it follows restarts) and turns failures of a
// dead process into the "not running" error, like hostMethods, whose
// lifecycle it shares.
type hostFees struct {
	p *Plugin
	sdk.Lifecycle
}

var _ sdk.FeeEstimator = (*hostFees)(nil)

func (h *hostFees) FeeRate(ctx context.Context, blocks int, mode string) (float64, error) {
	return callInst(ctx, h.p, func(i *instance) (float64, error) { return i.fees.FeeRate(ctx, blocks, mode) })
}

func (h *hostFees) MinRelayFee(ctx context.Context) (float64, error) {
	return callInst(ctx, h.p, func(i *instance) (float64, error) { return i.fees.MinRelayFee(ctx) })
}

// Fees returns the plugin's FeeEstimator: always the same object, which
// follows restarts like Methods and fails the same way while no process
// runs. Calls to a plugin that does not serve the fee-estimator role
// (Describe lacks sdk.CapFeeEstimator) fail with KindUnimplemented.
func (p *Plugin) Fees() sdk.FeeEstimator { return p.fees }
