package server

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/amber-electrum/amber/sdk"
)

// feeRoute is the daemon the Electrum layer talks to: the chain backend,
// except for fee estimates, which go to the plugin serving the
// fee-estimator role (sdk.CapFeeEstimator in its Describe, whatever its
// config name) when one is loaded. The core keeps its own validation,
// target bucketing, caching and costs. It forwards the chain backend's
// optional interfaces too.
type feeRoute struct {
	chain sdk.ChainBackend
	fees  atomic.Pointer[feeProvider]
}

// feeProvider is the plugin answering fee estimates.
type feeProvider struct {
	name string
	fees sdk.FeeEstimator
}

// feeCandidate is what adopt reads of a loaded plugin
// (*pluginhost.Plugin).
type feeCandidate interface {
	Name() string
	Describe() sdk.Description
	Fees() sdk.FeeEstimator
}

var (
	_ sdk.PackageBroadcaster = (*feeRoute)(nil)
	_ sdk.MempoolInfoer      = (*feeRoute)(nil)
)

// adopt routes fee estimates to p when its description lists the
// fee-estimator capability and reports whether it does. A plugin that
// held the role and no longer lists it (a restart with another binary)
// gives the estimates back to the chain backend.
func (r *feeRoute) adopt(p feeCandidate) bool {
	if slices.Contains(p.Describe().Capabilities, sdk.CapFeeEstimator) {
		r.fees.Store(&feeProvider{name: p.Name(), fees: p.Fees()})
		return true
	}
	if cur := r.fees.Load(); cur != nil && cur.name == p.Name() {
		r.fees.CompareAndSwap(cur, nil)
	}
	return false
}

func (r *feeRoute) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	return r.chain.Transaction(ctx, txid, verbose)
}

func (r *feeRoute) Broadcast(ctx context.Context, rawTxHex string) (string, error) {
	return r.chain.Broadcast(ctx, rawTxHex)
}

func (r *feeRoute) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	return r.chain.DaemonInfo(ctx)
}

func (r *feeRoute) RelayFee(ctx context.Context) (float64, error) {
	if p := r.fees.Load(); p != nil {
		return p.fees.MinRelayFee(ctx)
	}
	return r.chain.RelayFee(ctx)
}

func (r *feeRoute) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	if p := r.fees.Load(); p != nil {
		return p.fees.FeeRate(ctx, blocks, mode)
	}
	return r.chain.EstimateFee(ctx, blocks, mode)
}

func (r *feeRoute) BroadcastPackage(ctx context.Context, rawTxsHex []string) (sdk.PackageResult, error) {
	if pb, ok := r.chain.(sdk.PackageBroadcaster); ok {
		return pb.BroadcastPackage(ctx, rawTxsHex)
	}
	return sdk.PackageResult{}, sdk.Errorf(sdk.KindUnimplemented, "the chain backend cannot broadcast packages")
}

func (r *feeRoute) MempoolInfo(ctx context.Context) (sdk.MempoolInfo, error) {
	if mi, ok := r.chain.(sdk.MempoolInfoer); ok {
		return mi.MempoolInfo(ctx)
	}
	return sdk.MempoolInfo{}, sdk.Errorf(sdk.KindUnimplemented, "the chain backend has no mempool info")
}
