package sdk

import (
	"context"
	"log"
	"runtime/debug"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// The plugin-side gRPC servers of the three roles. Every error leaves
// through toStatus.

// chainServer serves a ChainBackend implementation over the
// ChainBackend gRPC service (the Plugin service is the lifecycleServer).
type chainServer struct {
	pluginv1.UnimplementedChainBackendServer
	impl ChainBackend
}

func badHash(what string, err error) error {
	return toStatus(Errorf(KindInvalidArgument, "%s: %w", what, err))
}

func (s *chainServer) Tip(ctx context.Context, _ *pluginv1.TipRequest) (*pluginv1.TipResponse, error) {
	t, err := s.impl.Tip(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.TipResponse{Height: t.Height, Hash: t.Hash[:]}, nil
}

func (s *chainServer) BlockHashes(ctx context.Context, r *pluginv1.BlockHashesRequest) (*pluginv1.BlockHashesResponse, error) {
	hs, err := s.impl.BlockHashes(ctx, r.GetStart(), int(r.GetCount()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.BlockHashesResponse{Hashes: wire.HashesToWire(hs)}, nil
}

func (s *chainServer) Blocks(r *pluginv1.BlocksRequest, stream pluginv1.ChainBackend_BlocksServer) error {
	err := s.impl.Blocks(stream.Context(), r.GetStart(), int(r.GetCount()), func(b Block) error {
		return stream.Send(blockToWire(b))
	})
	return toStatus(err)
}

func (s *chainServer) Transaction(ctx context.Context, r *pluginv1.TransactionRequest) (*pluginv1.TransactionResponse, error) {
	txid, err := wire.HashFromBytes[Hash](r.GetTxid())
	if err != nil {
		return nil, badHash("txid", err)
	}
	js, err := s.impl.Transaction(ctx, txid, r.GetVerbose())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.TransactionResponse{Json: js}, nil
}

func (s *chainServer) Broadcast(ctx context.Context, r *pluginv1.BroadcastRequest) (*pluginv1.BroadcastResponse, error) {
	txid, err := s.impl.Broadcast(ctx, r.GetRawTxHex())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.BroadcastResponse{Txid: txid}, nil
}

func (s *chainServer) MempoolTxids(ctx context.Context, _ *pluginv1.MempoolTxidsRequest) (*pluginv1.MempoolTxidsResponse, error) {
	hs, err := s.impl.MempoolTxids(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.MempoolTxidsResponse{Txids: wire.HashesToWire(hs)}, nil
}

func (s *chainServer) MempoolTransactions(ctx context.Context, r *pluginv1.MempoolTransactionsRequest) (*pluginv1.MempoolTransactionsResponse, error) {
	txids, err := wire.HashesFromWire[Hash](r.GetTxids())
	if err != nil {
		return nil, badHash("txids", err)
	}
	raws, err := s.impl.MempoolTransactions(ctx, txids)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.MempoolTransactionsResponse{Transactions: mempoolTxsToWire(raws)}, nil
}

func (s *chainServer) RelayFee(ctx context.Context, _ *pluginv1.RelayFeeRequest) (*pluginv1.RelayFeeResponse, error) {
	fee, err := s.impl.RelayFee(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.RelayFeeResponse{Fee: fee}, nil
}

func (s *chainServer) EstimateFee(ctx context.Context, r *pluginv1.EstimateFeeRequest) (*pluginv1.EstimateFeeResponse, error) {
	fee, err := s.impl.EstimateFee(ctx, int(r.GetBlocks()), r.GetMode())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.EstimateFeeResponse{Fee: fee}, nil
}

func (s *chainServer) DaemonInfo(ctx context.Context, _ *pluginv1.DaemonInfoRequest) (*pluginv1.DaemonInfoResponse, error) {
	di, err := s.impl.DaemonInfo(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.DaemonInfoResponse{Version: di.Version, Subversion: di.Subversion, RelayFee: di.RelayFee}, nil
}

func (s *chainServer) SetDaemonURLs(ctx context.Context, r *pluginv1.SetDaemonURLsRequest) (*pluginv1.SetDaemonURLsResponse, error) {
	if err := s.impl.SetDaemonURLs(ctx, r.GetUrls()); err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.SetDaemonURLsResponse{}, nil
}

// Optional ChainBackend RPCs (chain_ext.go).

func unimplemented(method string) error {
	return toStatus(Errorf(KindUnimplemented, "plugin does not implement %s", method))
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
		return nil, toStatus(err)
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
		return nil, toStatus(err)
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
	return toStatus(err)
}

// methodsServer serves a MethodProvider; every error leaves through
// toStatus, and a panicking Call becomes a KindInternal error instead of
// taking the whole plugin down.
type methodsServer struct {
	pluginv1.UnimplementedMethodProviderServer
	impl MethodProvider
}

func (s *methodsServer) ListMethods(ctx context.Context, _ *pluginv1.MethodListRequest) (*pluginv1.MethodListResponse, error) {
	specs, err := s.impl.Methods(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := make([]*pluginv1.MethodSpec, len(specs))
	for i, m := range specs {
		out[i] = &pluginv1.MethodSpec{
			Name: m.Name, MinArgs: int32(m.MinArgs), MaxArgs: int32(m.MaxArgs),
			ParamNames: m.ParamNames, Cost: m.Cost, MinProtocol: m.MinProtocol,
		}
	}
	return &pluginv1.MethodListResponse{Methods: out}, nil
}

func (s *methodsServer) CallMethod(ctx context.Context, r *pluginv1.MethodCallRequest) (resp *pluginv1.MethodCallResponse, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Printf("[ERROR] panic in method %s: %v\n%s", r.GetMethod(), v, debug.Stack())
			resp, err = nil, toStatus(Errorf(KindInternal, "panic in method %s: %v", r.GetMethod(), v))
		}
	}()
	si := r.GetSession()
	res, err := s.impl.Call(ctx, r.GetMethod(), r.GetParamsJson(), SessionInfo{
		ID: si.GetId(), Protocol: si.GetProtocol(), RemoteAddr: si.GetRemoteAddr(),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.MethodCallResponse{ResultJson: res}, nil
}

// feeServer serves a FeeEstimator.
type feeServer struct {
	pluginv1.UnimplementedFeeEstimatorServer
	impl FeeEstimator
}

func (s *feeServer) EstimateFee(ctx context.Context, r *pluginv1.EstimateFeeRequest) (*pluginv1.EstimateFeeResponse, error) {
	if r.GetBlocks() < 0 {
		return nil, toStatus(Errorf(KindInvalidArgument, "blocks %d: want a non-negative confirmation target", r.GetBlocks()))
	}
	fee, err := s.impl.FeeRate(ctx, int(r.GetBlocks()), r.GetMode())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.EstimateFeeResponse{Fee: fee}, nil
}

func (s *feeServer) RelayFee(ctx context.Context, _ *pluginv1.RelayFeeRequest) (*pluginv1.RelayFeeResponse, error) {
	fee, err := s.impl.MinRelayFee(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.RelayFeeResponse{Fee: fee}, nil
}

// Conversions of SDK values into wire messages (the host side has the
// reverse ones). A zero hash that means "unknown" travels as empty bytes.

func optHashToWire(h Hash) []byte {
	if h == (Hash{}) {
		return nil
	}
	return h[:]
}

func descriptionToWire(d Description) *pluginv1.DescribeResponse {
	return &pluginv1.DescribeResponse{
		Name:         d.Name,
		Version:      d.Version,
		SdkVersion:   d.SDKVersion,
		Capabilities: d.Capabilities,
		Coin:         d.Coin,
		Network:      d.Network,
		GenesisHash:  optHashToWire(d.GenesisHash),
	}
}

func blockToWire(b Block) *pluginv1.Block {
	return &pluginv1.Block{Height: b.Height, Hash: b.Hash[:], Raw: b.Raw}
}

func mempoolTxsToWire(raws [][]byte) []*pluginv1.MempoolTransaction {
	out := make([]*pluginv1.MempoolTransaction, len(raws))
	for i, r := range raws {
		out[i] = &pluginv1.MempoolTransaction{Found: r != nil, Raw: r}
	}
	return out
}
