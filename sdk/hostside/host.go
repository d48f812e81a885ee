package hostside

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// ServeHost serves impl as the host services on broker (go-plugin's
// GRPCBroker of one plugin connection) and returns the broker id to send in
// Configure. The server has the MaxMessageSize limits and runs until the
// broker closes (the plugin connection ends). Call it once per plugin
// process: each call opens another connection.
func ServeHost(broker *plugin.GRPCBroker, impl sdk.Host) uint32 {
	id := broker.NextId()
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := wire.NewGRPCServer(opts)
		RegisterHost(s, impl)
		return s
	})
	return id
}

// RegisterHost registers the HostServices service for impl on s.
func RegisterHost(s grpc.ServiceRegistrar, impl sdk.Host) {
	pluginv1.RegisterHostServicesServer(s, &hostServer{impl: impl})
	if fh, ok := impl.(sdk.FeeHost); ok {
		RegisterFeeHost(s, fh)
	}
}

// hostServer serves an sdk.Host implementation (the host side) over gRPC.
type hostServer struct {
	pluginv1.UnimplementedHostServicesServer
	impl sdk.Host
}

func headToWire(h sdk.Head) *pluginv1.HostHead {
	return &pluginv1.HostHead{Height: h.Height, Hash: h.Hash[:], Header: h.Header}
}

func (s *hostServer) Tip(ctx context.Context, _ *pluginv1.HostTipRequest) (*pluginv1.HostHead, error) {
	h, err := s.impl.Tip(ctx)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return headToWire(h), nil
}

func (s *hostServer) Headers(ctx context.Context, r *pluginv1.HostHeadersRequest) (*pluginv1.HostHeadersResponse, error) {
	count := int(min(max(r.GetCount(), 0), sdk.MaxHostHeaders))
	hs, err := s.impl.Headers(ctx, r.GetStart(), count)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pluginv1.HostHeadersResponse{Headers: hs}, nil
}

func (s *hostServer) History(ctx context.Context, r *pluginv1.HostHistoryRequest) (*pluginv1.HostHistoryResponse, error) {
	sh, err := wire.HashFromBytes[sdk.Hash](r.GetScriptHash())
	if err != nil {
		return nil, badHash("script hash", err)
	}
	es, next, err := s.impl.History(ctx, sh, r.GetCursor(), int(min(r.GetLimit(), sdk.MaxHistoryPage)))
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out := make([]*pluginv1.HostHistoryEntry, len(es))
	for i, e := range es {
		out[i] = &pluginv1.HostHistoryEntry{TxHash: e.TxHash[:], Height: e.Height, Fee: e.Fee}
	}
	return &pluginv1.HostHistoryResponse{Entries: out, NextCursor: next}, nil
}

func (s *hostServer) Unspent(ctx context.Context, r *pluginv1.HostUnspentRequest) (*pluginv1.HostUnspentResponse, error) {
	sh, err := wire.HashFromBytes[sdk.Hash](r.GetScriptHash())
	if err != nil {
		return nil, badHash("script hash", err)
	}
	us, err := s.impl.Unspent(ctx, sh)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out := make([]*pluginv1.HostUTXO, len(us))
	for i, u := range us {
		out[i] = &pluginv1.HostUTXO{TxHash: u.TxHash[:], TxPos: u.TxPos, Height: u.Height, Value: u.Value}
	}
	return &pluginv1.HostUnspentResponse{Utxos: out}, nil
}

func (s *hostServer) TxMerkle(ctx context.Context, r *pluginv1.HostTxMerkleRequest) (*pluginv1.HostTxMerkleResponse, error) {
	txid, err := wire.HashFromBytes[sdk.Hash](r.GetTxid())
	if err != nil {
		return nil, badHash("txid", err)
	}
	m, err := s.impl.TxMerkle(ctx, txid, r.GetHeight())
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pluginv1.HostTxMerkleResponse{Pos: int64(m.Pos), Branch: wire.HashesToWire(m.Branch), Root: m.Root[:]}, nil
}

func (s *hostServer) Events(_ *pluginv1.HostEventsRequest, stream pluginv1.HostServices_EventsServer) error {
	err := s.impl.Events(stream.Context(), func(ev sdk.BlockEvent) error {
		return stream.Send(&pluginv1.HostBlockEvent{Head: headToWire(ev.Head), Reorg: ev.Reorg})
	})
	return wire.ToStatus(err)
}

// sdk.Balance serves sdk.BalanceHost when the sdk.Host implementation offers it;
// otherwise the call is UNIMPLEMENTED.
func (s *hostServer) Balance(ctx context.Context, r *pluginv1.HostBalanceRequest) (*pluginv1.HostBalanceResponse, error) {
	bh, ok := s.impl.(sdk.BalanceHost)
	if !ok {
		return s.UnimplementedHostServicesServer.Balance(ctx, r)
	}
	sh, err := wire.HashFromBytes[sdk.Hash](r.GetScriptHash())
	if err != nil {
		return nil, badHash("script hash", err)
	}
	b, err := bh.Balance(ctx, sh)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pluginv1.HostBalanceResponse{Confirmed: b.Confirmed, Unconfirmed: b.Unconfirmed}, nil
}

// RegisterFeeHost registers the HostFees service for impl on s (RegisterHost
// does it for a Host that is also an sdk.FeeHost).
func RegisterFeeHost(s grpc.ServiceRegistrar, impl sdk.FeeHost) {
	pluginv1.RegisterHostFeesServer(s, &feeHostServer{impl: impl})
}

// feeHostServer serves an sdk.FeeHost over gRPC.
type feeHostServer struct {
	pluginv1.UnimplementedHostFeesServer
	impl sdk.FeeHost
}

func (s *feeHostServer) FeeHistogram(ctx context.Context, _ *pluginv1.HostFeeHistogramRequest) (*pluginv1.HostFeeHistogramResponse, error) {
	bins, err := s.impl.FeeHistogram(ctx)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	out := make([]*pluginv1.HostFeeBin, len(bins))
	for i, b := range bins {
		out[i] = &pluginv1.HostFeeBin{Rate: b.Rate, Vsize: b.VSize}
	}
	return &pluginv1.HostFeeHistogramResponse{Bins: out}, nil
}

func (s *feeHostServer) MempoolStats(ctx context.Context, _ *pluginv1.HostMempoolStatsRequest) (*pluginv1.HostMempoolStatsResponse, error) {
	st, err := s.impl.MempoolStats(ctx)
	if err != nil {
		return nil, wire.ToStatus(err)
	}
	return &pluginv1.HostMempoolStatsResponse{Txs: st.Txs, Bytes: st.Bytes}, nil
}

// NewHostClient returns the plugin side's view of host services served on
// cc (by RegisterHost): the sdk.Host a HostAware plugin receives, which is
// also an sdk.FeeHost and an sdk.BalanceHost. Hosts use it to test the
// services they serve.
func NewHostClient(cc grpc.ClientConnInterface) sdk.Host {
	return wire.HostClient(cc).(sdk.Host)
}

func badHash(what string, err error) error {
	return wire.ToStatus(sdk.Errorf(sdk.KindInvalidArgument, "%s: %w", what, err))
}

var errHostOnly = errors.New("hostside: a host-side plugin has no server: a plugin is served by sdk.Serve")
