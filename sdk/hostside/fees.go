package hostside

import (
	"context"

	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// FeeClient is the host-side adapter of a fee-estimator plugin: an
// sdk.FeeEstimator calling the FeeEstimator service. Like ChainClient,
// calls fail at once with KindUnavailable and ErrPluginExited once the
// plugin process is gone; a plugin that does not serve the role answers
// KindUnimplemented.
type FeeClient struct {
	base *ChainClient // process context, error conversion, call options
	fees pluginv1.FeeEstimatorClient
}

var _ sdk.FeeEstimator = (*FeeClient)(nil)

// NewFeeClient returns the adapter for a connection to a plugin (proc as
// for NewChainClient).
func NewFeeClient(proc context.Context, cc grpc.ClientConnInterface) *FeeClient {
	return &FeeClient{base: NewChainClient(proc, cc), fees: pluginv1.NewFeeEstimatorClient(cc)}
}

// Describe implements sdk.Lifecycle (Plugin.Describe, the lifecycle
// every plugin serves).
func (c *FeeClient) Describe(ctx context.Context) (sdk.Description, error) {
	return c.base.Describe(ctx)
}

// Configure implements sdk.Lifecycle (Plugin.Configure, without host
// services: MethodsClient.WithHost offers them).
func (c *FeeClient) Configure(ctx context.Context, config []byte) error {
	return c.base.Configure(ctx, config)
}

// Shutdown implements sdk.Lifecycle (Plugin.Shutdown).
func (c *FeeClient) Shutdown(ctx context.Context) error { return c.base.Shutdown(ctx) }

// FeeRate implements sdk.FeeEstimator (FeeEstimator.EstimateFee).
func (c *FeeClient) FeeRate(ctx context.Context, blocks int, mode string) (float64, error) {
	r, err := unary(c.base, ctx, func(ctx context.Context) (*pluginv1.EstimateFeeResponse, error) {
		return c.fees.EstimateFee(ctx, &pluginv1.EstimateFeeRequest{Blocks: int64(blocks), Mode: mode}, c.base.opts...)
	})
	if err != nil {
		return 0, err
	}
	return r.GetFee(), nil
}

// MinRelayFee implements sdk.FeeEstimator (FeeEstimator.RelayFee).
func (c *FeeClient) MinRelayFee(ctx context.Context) (float64, error) {
	r, err := unary(c.base, ctx, func(ctx context.Context) (*pluginv1.RelayFeeResponse, error) {
		return c.fees.RelayFee(ctx, &pluginv1.RelayFeeRequest{}, c.base.opts...)
	})
	if err != nil {
		return 0, err
	}
	return r.GetFee(), nil
}
