package hostside

import (
	"context"
	"errors"
	"io"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// The client side of the optional ChainBackend RPCs (sdk/chain_ext.go).

var (
	_ sdk.PackageBroadcaster = (*ChainClient)(nil)
	_ sdk.MempoolInfoer      = (*ChainClient)(nil)
	_ sdk.ChainWatcher       = (*ChainClient)(nil)
)

// WatchChain implements sdk.ChainWatcher over one server stream. Events of an
// unknown kind (a newer plugin) are dropped; a malformed hash is dropped
// with the event's kind kept.
func (c *ChainClient) WatchChain(ctx context.Context, mempool bool, notify func(sdk.ChainEvent)) error {
	ctx, done, err := c.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	stream, err := c.chain.WatchChain(ctx, &pluginv1.WatchChainRequest{Mempool: mempool}, c.opts...)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return c.fail(err)
	}
	for {
		m, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				return sdk.Errorf(sdk.KindUnavailable, "plugin ended the chain event stream")
			}
			return c.fail(err)
		}
		ev := sdk.ChainEvent{Kind: sdk.ChainEventKind(m.GetKind()), Height: m.GetHeight()}
		if ev.Kind != sdk.EventBlock && ev.Kind != sdk.EventMempool {
			continue
		}
		if h, err := wire.HashFromBytes[sdk.Hash](m.GetHash()); err == nil && len(m.GetHash()) > 0 {
			ev.Hash = h
		}
		notify(ev)
	}
}

// BroadcastPackage implements sdk.PackageBroadcaster. A plugin without the RPC
// (an older SDK, or an implementation that is not an sdk.PackageBroadcaster)
// gives sdk.KindUnimplemented.
func (c *ChainClient) BroadcastPackage(ctx context.Context, rawTxsHex []string) (sdk.PackageResult, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.BroadcastPackageResponse, error) {
		return c.chain.BroadcastPackage(ctx, &pluginv1.BroadcastPackageRequest{RawTxsHex: rawTxsHex}, c.opts...)
	})
	if err != nil {
		return sdk.PackageResult{}, err
	}
	res := sdk.PackageResult{Success: r.GetSuccess(), JSON: r.GetJson()}
	for _, e := range r.GetErrors() {
		res.Errors = append(res.Errors, sdk.PackageTxError{Txid: e.GetTxid(), Error: e.GetError()})
	}
	return res, nil
}

// sdk.MempoolInfo implements sdk.MempoolInfoer (sdk.KindUnimplemented as for
// BroadcastPackage).
func (c *ChainClient) MempoolInfo(ctx context.Context) (sdk.MempoolInfo, error) {
	r, err := unary(c, ctx, func(ctx context.Context) (*pluginv1.MempoolInfoResponse, error) {
		return c.chain.MempoolInfo(ctx, &pluginv1.MempoolInfoRequest{}, c.opts...)
	})
	if err != nil {
		return sdk.MempoolInfo{}, err
	}
	return sdk.MempoolInfo{MempoolMinFee: r.GetMempoolMinFee(), MinRelayTxFee: r.GetMinRelayTxFee(),
		IncrementalRelayFee: r.GetIncrementalRelayFee()}, nil
}
