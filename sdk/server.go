package sdk

import (
	"context"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// chainServer serves a ChainBackend implementation over the Plugin and
// ChainBackend gRPC services. Every error leaves through ToStatus.
type chainServer struct {
	pluginv1.UnimplementedPluginServer
	pluginv1.UnimplementedChainBackendServer
	impl ChainBackend
}

func badHash(what string, err error) error {
	return ToStatus(Errorf(KindInvalidArgument, "%s: %w", what, err))
}

func (s *chainServer) Describe(ctx context.Context, _ *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return descriptionToWire(d), nil
}

func (s *chainServer) Configure(ctx context.Context, r *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	if err := s.impl.Configure(ctx, r.GetConfigJson()); err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.ConfigureResponse{}, nil
}

func (s *chainServer) Shutdown(ctx context.Context, r *pluginv1.ShutdownRequest) (*pluginv1.ShutdownResponse, error) {
	if r.GetDeadline() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, r.GetDeadline().AsTime())
		defer cancel()
	}
	if err := s.impl.Shutdown(ctx); err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.ShutdownResponse{}, nil
}

func (s *chainServer) Tip(ctx context.Context, _ *pluginv1.TipRequest) (*pluginv1.TipResponse, error) {
	t, err := s.impl.Tip(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.TipResponse{Height: t.Height, Hash: t.Hash[:]}, nil
}

func (s *chainServer) BlockHashes(ctx context.Context, r *pluginv1.BlockHashesRequest) (*pluginv1.BlockHashesResponse, error) {
	hs, err := s.impl.BlockHashes(ctx, r.GetStart(), int(r.GetCount()))
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.BlockHashesResponse{Hashes: hashesToWire(hs)}, nil
}

func (s *chainServer) Blocks(r *pluginv1.BlocksRequest, stream pluginv1.ChainBackend_BlocksServer) error {
	err := s.impl.Blocks(stream.Context(), r.GetStart(), int(r.GetCount()), func(b Block) error {
		return stream.Send(blockToWire(b))
	})
	return ToStatus(err)
}

func (s *chainServer) Transaction(ctx context.Context, r *pluginv1.TransactionRequest) (*pluginv1.TransactionResponse, error) {
	txid, err := HashFromBytes(r.GetTxid())
	if err != nil {
		return nil, badHash("txid", err)
	}
	js, err := s.impl.Transaction(ctx, txid, r.GetVerbose())
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.TransactionResponse{Json: js}, nil
}

func (s *chainServer) Broadcast(ctx context.Context, r *pluginv1.BroadcastRequest) (*pluginv1.BroadcastResponse, error) {
	txid, err := s.impl.Broadcast(ctx, r.GetRawTxHex())
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.BroadcastResponse{Txid: txid}, nil
}

func (s *chainServer) MempoolTxids(ctx context.Context, _ *pluginv1.MempoolTxidsRequest) (*pluginv1.MempoolTxidsResponse, error) {
	hs, err := s.impl.MempoolTxids(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.MempoolTxidsResponse{Txids: hashesToWire(hs)}, nil
}

func (s *chainServer) MempoolTransactions(ctx context.Context, r *pluginv1.MempoolTransactionsRequest) (*pluginv1.MempoolTransactionsResponse, error) {
	txids, err := hashesFromWire(r.GetTxids())
	if err != nil {
		return nil, badHash("txids", err)
	}
	raws, err := s.impl.MempoolTransactions(ctx, txids)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.MempoolTransactionsResponse{Transactions: mempoolTxsToWire(raws)}, nil
}

func (s *chainServer) RelayFee(ctx context.Context, _ *pluginv1.RelayFeeRequest) (*pluginv1.RelayFeeResponse, error) {
	fee, err := s.impl.RelayFee(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.RelayFeeResponse{Fee: fee}, nil
}

func (s *chainServer) EstimateFee(ctx context.Context, r *pluginv1.EstimateFeeRequest) (*pluginv1.EstimateFeeResponse, error) {
	fee, err := s.impl.EstimateFee(ctx, int(r.GetBlocks()), r.GetMode())
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.EstimateFeeResponse{Fee: fee}, nil
}

func (s *chainServer) DaemonInfo(ctx context.Context, _ *pluginv1.DaemonInfoRequest) (*pluginv1.DaemonInfoResponse, error) {
	di, err := s.impl.DaemonInfo(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.DaemonInfoResponse{Version: di.Version, Subversion: di.Subversion, RelayFee: di.RelayFee}, nil
}

func (s *chainServer) SetDaemonURLs(ctx context.Context, r *pluginv1.SetDaemonURLsRequest) (*pluginv1.SetDaemonURLsResponse, error) {
	if err := s.impl.SetDaemonURLs(ctx, r.GetUrls()); err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.SetDaemonURLsResponse{}, nil
}
