package server

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/internal/roles"
	"github.com/amber-electrum/amber/sdk"
)

// feeRoute is the daemon the Electrum layer talks to: the chain backend,
// except for fee estimates, which go to the plugin holding the
// fee-estimator role (core/internal/roles: sdk.CapFeeEstimator in its
// Describe, whatever its config name), through its typed role adapter
// (roles.FeeEstimator), when one is loaded. The core keeps its own
// validation, target bucketing, caching and costs. It forwards the chain
// backend's optional interfaces too.
//
// While the fee plugin is unavailable (down between restarts, refused, its
// crash breaker open: a KindUnavailable error), estimates come from the
// chain backend, so that wallets asking blockchain.relayfee on connect
// still get an answer; the switch is logged once each way.
type feeRoute struct {
	chain    sdk.ChainBackend
	fees     atomic.Pointer[feeProvider]
	log      *slog.Logger // nil: no log
	fellBack atomic.Bool  // the last fee-plugin call was unavailable
}

// feeProvider is the plugin answering fee estimates.
type feeProvider struct{ fees sdk.FeeEstimator }

var (
	_ sdk.PackageBroadcaster = (*feeRoute)(nil)
	_ sdk.MempoolInfoer      = (*feeRoute)(nil)
)

// route gives fee estimates to the plugin holding the fee-estimator role
// in as, through fees(name) (its role adapter), and returns its name. With
// no holder they stay with the chain backend and route returns "".
func (r *feeRoute) route(as roles.Assignment, fees func(name string) sdk.FeeEstimator) string {
	name := as.Holder(roles.Fees)
	if name == "" {
		r.fees.Store(nil)
		return ""
	}
	r.fees.Store(&feeProvider{fees: fees(name)})
	return name
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
		v, err := p.fees.MinRelayFee(ctx)
		if !r.unavailable(err) {
			return v, err
		}
	}
	return r.chain.RelayFee(ctx)
}

func (r *feeRoute) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	if p := r.fees.Load(); p != nil {
		v, err := p.fees.FeeRate(ctx, blocks, mode)
		if !r.unavailable(err) {
			return v, err
		}
	}
	return r.chain.EstimateFee(ctx, blocks, mode)
}

// unavailable reports whether err from the fee plugin means it cannot
// answer now (the caller then asks the chain backend), logging each
// change between the two states once.
func (r *feeRoute) unavailable(err error) bool {
	down := err != nil && sdk.KindOf(err) == sdk.KindUnavailable
	if r.fellBack.Swap(down) != down && r.log != nil {
		if down {
			r.log.Warn("fee plugin unavailable: fee estimates come from the chain backend until it is back", "err", err)
		} else {
			r.log.Info("fee plugin answers fee estimates again")
		}
	}
	return down
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
