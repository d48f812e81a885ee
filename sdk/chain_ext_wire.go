package sdk

import (
	"context"

	"github.com/amber-electrum/amber/sdk/gen/pluginv1"
)

// Server and client sides of the optional RPCs of chain_ext.go.

func unimplemented(method string) error {
	return ToStatus(Errorf(KindUnimplemented, "plugin does not implement %s", method))
}

// BroadcastPackage serves ChainBackend.BroadcastPackage: codes.Unimplemented
// when the implementation is not a PackageBroadcaster.
func (s *chainServer) BroadcastPackage(ctx context.Context, r *pluginv1.BroadcastPackageRequest) (*pluginv1.BroadcastPackageResponse, error) {
	pb, ok := s.impl.(PackageBroadcaster)
	if !ok {
		return nil, unimplemented("BroadcastPackage")
	}
	res, err := pb.BroadcastPackage(ctx, r.GetRawTxsHex())
	if err != nil {
		return nil, ToStatus(err)
	}
	out := &pluginv1.BroadcastPackageResponse{Success: res.Success, Json: res.JSON}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, &pluginv1.PackageTxError{Txid: e.Txid, Error: e.Error})
	}
	return out, nil
}

// MempoolInfo serves ChainBackend.MempoolInfo: codes.Unimplemented when the
// implementation is not a MempoolInfoer.
func (s *chainServer) MempoolInfo(ctx context.Context, _ *pluginv1.MempoolInfoRequest) (*pluginv1.MempoolInfoResponse, error) {
	mi, ok := s.impl.(MempoolInfoer)
	if !ok {
		return nil, unimplemented("MempoolInfo")
	}
	info, err := mi.MempoolInfo(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.MempoolInfoResponse{MempoolMinFee: info.MempoolMinFee, MinRelayTxFee: info.MinRelayTxFee,
		IncrementalRelayFee: info.IncrementalRelayFee}, nil
}

var (
	_ PackageBroadcaster = (*ChainClient)(nil)
	_ MempoolInfoer      = (*ChainClient)(nil)
)

// BroadcastPackage implements PackageBroadcaster. A plugin without the RPC
// (an older SDK, or an implementation that is not a PackageBroadcaster)
// gives KindUnimplemented.
func (c *ChainClient) BroadcastPackage(ctx context.Context, rawTxsHex []string) (PackageResult, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.BroadcastPackageResponse, error) {
		return c.chain.BroadcastPackage(ctx, &pluginv1.BroadcastPackageRequest{RawTxsHex: rawTxsHex}, c.opts...)
	})
	if err != nil {
		return PackageResult{}, err
	}
	res := PackageResult{Success: r.GetSuccess(), JSON: r.GetJson()}
	for _, e := range r.GetErrors() {
		res.Errors = append(res.Errors, PackageTxError{Txid: e.GetTxid(), Error: e.GetError()})
	}
	return res, nil
}

// MempoolInfo implements MempoolInfoer (KindUnimplemented as for
// BroadcastPackage).
func (c *ChainClient) MempoolInfo(ctx context.Context) (MempoolInfo, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.MempoolInfoResponse, error) {
		return c.chain.MempoolInfo(ctx, &pluginv1.MempoolInfoRequest{}, c.opts...)
	})
	if err != nil {
		return MempoolInfo{}, err
	}
	return MempoolInfo{MempoolMinFee: r.GetMempoolMinFee(), MinRelayTxFee: r.GetMinRelayTxFee(),
		IncrementalRelayFee: r.GetIncrementalRelayFee()}, nil
}
