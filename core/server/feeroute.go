package server

import (
	"context"
	"encoding/json"
	"sync/atomic"

	"github.com/amber-electrum/amber/sdk"
)

// Fee-estimation methods a fee plugin (plugins/feeest) declares. When a
// loaded plugin declares them, the core's blockchain.estimatefee and
// blockchain.relayfee are answered through it; the core keeps its own
// validation, target bucketing, caching and costs.
const (
	feeEstimateMethod = "feeest.estimatefee"
	feeRelayMethod    = "feeest.relayfee"
)

// feeRoute is the daemon the Electrum layer talks to: the chain backend,
// except for fee estimates, which go to a fee plugin when one is loaded.
// It forwards the chain backend's optional interfaces too.
type feeRoute struct {
	chain sdk.ChainBackend
	fees  atomic.Pointer[feeProvider]
}

type feeProvider struct{ m sdk.MethodProvider }

var (
	_ sdk.PackageBroadcaster = (*feeRoute)(nil)
	_ sdk.MempoolInfoer      = (*feeRoute)(nil)
)

// use routes fee estimates to m (nil: back to the chain backend).
func (r *feeRoute) use(m sdk.MethodProvider) {
	if m == nil {
		r.fees.Store(nil)
		return
	}
	r.fees.Store(&feeProvider{m})
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
		return callFloat(ctx, p.m, feeRelayMethod, []any{})
	}
	return r.chain.RelayFee(ctx)
}

func (r *feeRoute) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	if p := r.fees.Load(); p != nil {
		params := []any{blocks}
		if mode != "" {
			params = append(params, mode)
		}
		return callFloat(ctx, p.m, feeEstimateMethod, params)
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

// callFloat calls a plugin method whose result is a number.
func callFloat(ctx context.Context, m sdk.MethodProvider, method string, params []any) (float64, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return 0, err
	}
	res, err := m.Call(ctx, method, raw, sdk.SessionInfo{})
	if err != nil {
		return 0, err
	}
	var v float64
	if err := json.Unmarshal(res, &v); err != nil {
		return 0, sdk.Errorf(sdk.KindInternal, "%s answered %s, not a number", method, res)
	}
	return v, nil
}

// declaresFees reports whether specs include the fee plugin's methods.
func declaresFees(specs []sdk.MethodSpec) bool {
	var est, relay bool
	for _, s := range specs {
		est = est || s.Name == feeEstimateMethod
		relay = relay || s.Name == feeRelayMethod
	}
	return est && relay
}
