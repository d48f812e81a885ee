package sdk

import "context"

// FeeEstimator is the fee-estimator role (capability CapFeeEstimator).
// When a loaded plugin serves it, amberd answers the Electrum methods
// blockchain.estimatefee and blockchain.relayfee through it instead of the
// chain backend; amberd keeps its own parameter checks, caching and costs.
// At most one plugin may serve it. Rates are in coin units per kB. It
// embeds the Lifecycle every role embeds (BasicPlugin is one).
type FeeEstimator interface {
	Lifecycle
	// FeeRate returns the fee rate for confirmation within blocks (>= 0),
	// or -1 when there is no estimate. mode is "", "CONSERVATIVE" or
	// "ECONOMICAL".
	FeeRate(ctx context.Context, blocks int, mode string) (float64, error)
	// MinRelayFee returns the minimum relay fee.
	MinRelayFee(ctx context.Context) (float64, error)
}
