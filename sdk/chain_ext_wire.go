package sdk

import (
	"context"
	"errors"
	"io"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
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

// WatchChain serves ChainBackend.WatchChain: codes.Unimplemented when the
// implementation is not a ChainWatcher.
func (s *chainServer) WatchChain(r *pluginv1.WatchChainRequest, stream pluginv1.ChainBackend_WatchChainServer) error {
	w, ok := s.impl.(ChainWatcher)
	if !ok {
		return unimplemented("WatchChain")
	}
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	err := w.WatchChain(ctx, r.GetMempool(), func(ev ChainEvent) {
		m := &pluginv1.ChainEvent{Kind: pluginv1.ChainEvent_Kind(ev.Kind), Height: ev.Height}
		if ev.Hash != (Hash{}) {
			m.Hash = ev.Hash[:]
		}
		if err := stream.Send(m); err != nil {
			cancel(err) // the host went away: end the watch
		}
	})
	if cerr := context.Cause(ctx); err == nil && cerr != nil && stream.Context().Err() == nil {
		err = cerr
	}
	return ToStatus(err)
}

var (
	_ PackageBroadcaster = (*ChainClient)(nil)
	_ MempoolInfoer      = (*ChainClient)(nil)
	_ ChainWatcher       = (*ChainClient)(nil)
)

// WatchChain implements ChainWatcher over one server stream. Events of an
// unknown kind (a newer plugin) are dropped; a malformed hash is dropped
// with the event's kind kept.
func (c *ChainClient) WatchChain(ctx context.Context, mempool bool, notify func(ChainEvent)) error {
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
				return Errorf(KindUnavailable, "plugin ended the chain event stream")
			}
			return c.fail(err)
		}
		ev := ChainEvent{Kind: ChainEventKind(m.GetKind()), Height: m.GetHeight()}
		if ev.Kind != EventBlock && ev.Kind != EventMempool {
			continue
		}
		if h, err := HashFromBytes(m.GetHash()); err == nil && len(m.GetHash()) > 0 {
			ev.Hash = h
		}
		notify(ev)
	}
}

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
