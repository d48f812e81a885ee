package sdk

import (
	"context"
	"errors"
	"io"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// ServeHost serves impl as the host services on broker (go-plugin's
// GRPCBroker of one plugin connection) and returns the broker id to send in
// Configure. The server has the MaxMessageSize limits and runs until the
// broker closes (the plugin connection ends). Call it once per plugin
// process: each call opens another connection.
func ServeHost(broker *plugin.GRPCBroker, impl Host) uint32 {
	id := broker.NextId()
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := newGRPCServer(opts)
		RegisterHost(s, impl)
		return s
	})
	return id
}

// RegisterHost registers the HostServices service for impl on s.
func RegisterHost(s grpc.ServiceRegistrar, impl Host) {
	pluginv1.RegisterHostServicesServer(s, &hostServer{impl: impl})
	if fh, ok := impl.(FeeHost); ok {
		RegisterFeeHost(s, fh)
	}
}

// hostServer serves a Host implementation (the host side) over gRPC.
type hostServer struct {
	pluginv1.UnimplementedHostServicesServer
	impl Host
}

func headToWire(h Head) *pluginv1.HostHead {
	return &pluginv1.HostHead{Height: h.Height, Hash: h.Hash[:], Header: h.Header}
}

func headFromWire(m *pluginv1.HostHead) (Head, error) {
	h, err := HashFromBytes(m.GetHash())
	if err != nil {
		return Head{}, err
	}
	return Head{Height: m.GetHeight(), Hash: h, Header: m.GetHeader()}, nil
}

func (s *hostServer) Tip(ctx context.Context, _ *pluginv1.HostTipRequest) (*pluginv1.HostHead, error) {
	h, err := s.impl.Tip(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	return headToWire(h), nil
}

func (s *hostServer) Headers(ctx context.Context, r *pluginv1.HostHeadersRequest) (*pluginv1.HostHeadersResponse, error) {
	count := int(min(max(r.GetCount(), 0), MaxHostHeaders))
	hs, err := s.impl.Headers(ctx, r.GetStart(), count)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.HostHeadersResponse{Headers: hs}, nil
}

func (s *hostServer) History(ctx context.Context, r *pluginv1.HostHistoryRequest) (*pluginv1.HostHistoryResponse, error) {
	sh, err := HashFromBytes(r.GetScriptHash())
	if err != nil {
		return nil, badHash("script hash", err)
	}
	es, next, err := s.impl.History(ctx, sh, r.GetCursor(), int(min(r.GetLimit(), MaxHistoryPage)))
	if err != nil {
		return nil, ToStatus(err)
	}
	out := make([]*pluginv1.HostHistoryEntry, len(es))
	for i, e := range es {
		out[i] = &pluginv1.HostHistoryEntry{TxHash: e.TxHash[:], Height: e.Height, Fee: e.Fee}
	}
	return &pluginv1.HostHistoryResponse{Entries: out, NextCursor: next}, nil
}

func (s *hostServer) Unspent(ctx context.Context, r *pluginv1.HostUnspentRequest) (*pluginv1.HostUnspentResponse, error) {
	sh, err := HashFromBytes(r.GetScriptHash())
	if err != nil {
		return nil, badHash("script hash", err)
	}
	us, err := s.impl.Unspent(ctx, sh)
	if err != nil {
		return nil, ToStatus(err)
	}
	out := make([]*pluginv1.HostUTXO, len(us))
	for i, u := range us {
		out[i] = &pluginv1.HostUTXO{TxHash: u.TxHash[:], TxPos: u.TxPos, Height: u.Height, Value: u.Value}
	}
	return &pluginv1.HostUnspentResponse{Utxos: out}, nil
}

func (s *hostServer) TxMerkle(ctx context.Context, r *pluginv1.HostTxMerkleRequest) (*pluginv1.HostTxMerkleResponse, error) {
	txid, err := HashFromBytes(r.GetTxid())
	if err != nil {
		return nil, badHash("txid", err)
	}
	m, err := s.impl.TxMerkle(ctx, txid, r.GetHeight())
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.HostTxMerkleResponse{Pos: int64(m.Pos), Branch: hashesToWire(m.Branch), Root: m.Root[:]}, nil
}

func (s *hostServer) Events(_ *pluginv1.HostEventsRequest, stream pluginv1.HostServices_EventsServer) error {
	err := s.impl.Events(stream.Context(), func(ev BlockEvent) error {
		return stream.Send(&pluginv1.HostBlockEvent{Head: headToWire(ev.Head), Reorg: ev.Reorg})
	})
	return ToStatus(err)
}

// HostClient is the plugin-side Host: it calls the host services over the
// broker connection. Errors are *Error values rebuilt by FromStatus.
type HostClient struct {
	c    pluginv1.HostServicesClient
	opts []grpc.CallOption
}

var _ Host = (*HostClient)(nil)

// NewHostClient returns a Host calling the host services on cc.
func NewHostClient(cc grpc.ClientConnInterface) *HostClient {
	return &HostClient{c: pluginv1.NewHostServicesClient(cc), opts: CallOptions()}
}

func hostReply(what string, err error) error {
	return &Error{Kind: KindInternal, Message: "host sent a malformed " + what, Err: err}
}

// Tip implements Host.
func (h *HostClient) Tip(ctx context.Context) (Head, error) {
	r, err := h.c.Tip(ctx, &pluginv1.HostTipRequest{}, h.opts...)
	if err != nil {
		return Head{}, FromStatus(err)
	}
	hd, err := headFromWire(r)
	if err != nil {
		return Head{}, hostReply("tip", err)
	}
	return hd, nil
}

// Headers implements Host.
func (h *HostClient) Headers(ctx context.Context, start int64, count int) ([][]byte, error) {
	r, err := h.c.Headers(ctx, &pluginv1.HostHeadersRequest{Start: start, Count: int64(count)}, h.opts...)
	if err != nil {
		return nil, FromStatus(err)
	}
	return r.GetHeaders(), nil
}

// History implements Host.
func (h *HostClient) History(ctx context.Context, scriptHash Hash, cursor string, limit int) ([]HistoryEntry, string, error) {
	r, err := h.c.History(ctx, &pluginv1.HostHistoryRequest{ScriptHash: scriptHash[:], Cursor: cursor, Limit: int64(limit)}, h.opts...)
	if err != nil {
		return nil, "", FromStatus(err)
	}
	out := make([]HistoryEntry, len(r.GetEntries()))
	for i, e := range r.GetEntries() {
		txh, err := HashFromBytes(e.GetTxHash())
		if err != nil {
			return nil, "", hostReply("history entry", err)
		}
		out[i] = HistoryEntry{TxHash: txh, Height: e.GetHeight(), Fee: e.GetFee()}
	}
	return out, r.GetNextCursor(), nil
}

// Unspent implements Host.
func (h *HostClient) Unspent(ctx context.Context, scriptHash Hash) ([]UTXO, error) {
	r, err := h.c.Unspent(ctx, &pluginv1.HostUnspentRequest{ScriptHash: scriptHash[:]}, h.opts...)
	if err != nil {
		return nil, FromStatus(err)
	}
	out := make([]UTXO, len(r.GetUtxos()))
	for i, u := range r.GetUtxos() {
		txh, err := HashFromBytes(u.GetTxHash())
		if err != nil {
			return nil, hostReply("utxo", err)
		}
		out[i] = UTXO{TxHash: txh, TxPos: u.GetTxPos(), Height: u.GetHeight(), Value: u.GetValue()}
	}
	return out, nil
}

// TxMerkle implements Host.
func (h *HostClient) TxMerkle(ctx context.Context, txid Hash, height int64) (TxMerkle, error) {
	r, err := h.c.TxMerkle(ctx, &pluginv1.HostTxMerkleRequest{Txid: txid[:], Height: height}, h.opts...)
	if err != nil {
		return TxMerkle{}, FromStatus(err)
	}
	br, err := hashesFromWire(r.GetBranch())
	if err != nil {
		return TxMerkle{}, hostReply("merkle branch", err)
	}
	root, err := HashFromBytes(r.GetRoot())
	if err != nil {
		return TxMerkle{}, hostReply("merkle root", err)
	}
	return TxMerkle{Pos: int(r.GetPos()), Branch: br, Root: root}, nil
}

// Events implements Host over one server stream. When ctx is done it
// returns ctx.Err().
func (h *HostClient) Events(ctx context.Context, yield func(BlockEvent) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := h.c.Events(ctx, &pluginv1.HostEventsRequest{}, h.opts...)
	if err != nil {
		return h.streamErr(ctx, err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return Errorf(KindUnavailable, "host closed the event stream")
		}
		if err != nil {
			return h.streamErr(ctx, err)
		}
		hd, err := headFromWire(m.GetHead())
		if err != nil {
			return hostReply("block event", err)
		}
		if err := yield(BlockEvent{Head: hd, Reorg: m.GetReorg()}); err != nil {
			return err
		}
	}
}

func (h *HostClient) streamErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return FromStatus(err)
}
