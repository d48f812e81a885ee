package sdk

import (
	"context"
	"errors"
	"io"
	"math"

	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// hostClient is the plugin-side Host, FeeHost and BalanceHost: it calls
// the host services over the broker connection. Errors are *Error values
// rebuilt by fromStatus (KindUnimplemented for a service the host lacks).
type hostClient struct {
	c    pluginv1.HostServicesClient
	fees pluginv1.HostFeesClient
	opts []grpc.CallOption
}

var (
	_ Host        = (*hostClient)(nil)
	_ FeeHost     = (*hostClient)(nil)
	_ BalanceHost = (*hostClient)(nil)
)

func newHostClient(cc grpc.ClientConnInterface) *hostClient {
	return &hostClient{c: pluginv1.NewHostServicesClient(cc), fees: pluginv1.NewHostFeesClient(cc), opts: wire.CallOptions()}
}

func headFromWire(m *pluginv1.HostHead) (Head, error) {
	h, err := wire.HashFromBytes[Hash](m.GetHash())
	if err != nil {
		return Head{}, err
	}
	return Head{Height: m.GetHeight(), Hash: h, Header: m.GetHeader()}, nil
}

func hostReply(what string, err error) error {
	return &Error{Kind: KindInternal, Message: "host sent a malformed " + what, Err: err}
}

// Tip implements Host.
func (h *hostClient) Tip(ctx context.Context) (Head, error) {
	r, err := h.c.Tip(ctx, &pluginv1.HostTipRequest{}, h.opts...)
	if err != nil {
		return Head{}, fromStatus(err)
	}
	hd, err := headFromWire(r)
	if err != nil {
		return Head{}, hostReply("tip", err)
	}
	return hd, nil
}

// Headers implements Host.
func (h *hostClient) Headers(ctx context.Context, start int64, count int) ([][]byte, error) {
	r, err := h.c.Headers(ctx, &pluginv1.HostHeadersRequest{Start: start, Count: int64(count)}, h.opts...)
	if err != nil {
		return nil, fromStatus(err)
	}
	return r.GetHeaders(), nil
}

// History implements Host.
func (h *hostClient) History(ctx context.Context, scriptHash Hash, cursor string, limit int) ([]HistoryEntry, string, error) {
	r, err := h.c.History(ctx, &pluginv1.HostHistoryRequest{ScriptHash: scriptHash[:], Cursor: cursor, Limit: int64(limit)}, h.opts...)
	if err != nil {
		return nil, "", fromStatus(err)
	}
	out := make([]HistoryEntry, len(r.GetEntries()))
	for i, e := range r.GetEntries() {
		txh, err := wire.HashFromBytes[Hash](e.GetTxHash())
		if err != nil {
			return nil, "", hostReply("history entry", err)
		}
		out[i] = HistoryEntry{TxHash: txh, Height: e.GetHeight(), Fee: e.GetFee()}
	}
	return out, r.GetNextCursor(), nil
}

// Unspent implements Host.
func (h *hostClient) Unspent(ctx context.Context, scriptHash Hash) ([]UTXO, error) {
	r, err := h.c.Unspent(ctx, &pluginv1.HostUnspentRequest{ScriptHash: scriptHash[:]}, h.opts...)
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]UTXO, len(r.GetUtxos()))
	for i, u := range r.GetUtxos() {
		txh, err := wire.HashFromBytes[Hash](u.GetTxHash())
		if err != nil {
			return nil, hostReply("utxo", err)
		}
		out[i] = UTXO{TxHash: txh, TxPos: u.GetTxPos(), Height: u.GetHeight(), Value: u.GetValue()}
	}
	return out, nil
}

// TxMerkle implements Host.
func (h *hostClient) TxMerkle(ctx context.Context, txid Hash, height int64) (TxMerkle, error) {
	r, err := h.c.TxMerkle(ctx, &pluginv1.HostTxMerkleRequest{Txid: txid[:], Height: height}, h.opts...)
	if err != nil {
		return TxMerkle{}, fromStatus(err)
	}
	br, err := wire.HashesFromWire[Hash](r.GetBranch())
	if err != nil {
		return TxMerkle{}, hostReply("merkle branch", err)
	}
	root, err := wire.HashFromBytes[Hash](r.GetRoot())
	if err != nil {
		return TxMerkle{}, hostReply("merkle root", err)
	}
	return TxMerkle{Pos: int(r.GetPos()), Branch: br, Root: root}, nil
}

// Events implements Host over one server stream. When ctx is done it
// returns ctx.Err().
func (h *hostClient) Events(ctx context.Context, yield func(BlockEvent) error) error {
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

func (h *hostClient) streamErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fromStatus(err)
}

// FeeHistogram implements FeeHost. A bin with a negative, NaN or infinite
// rate or a negative size is a malformed reply.
func (h *hostClient) FeeHistogram(ctx context.Context) ([]FeeBin, error) {
	r, err := h.fees.FeeHistogram(ctx, &pluginv1.HostFeeHistogramRequest{}, h.opts...)
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]FeeBin, len(r.GetBins()))
	for i, b := range r.GetBins() {
		rate := b.GetRate()
		if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) || b.GetVsize() < 0 {
			return nil, hostReply("fee histogram", Errorf(KindInternal, "bin %d: rate %v, vsize %d", i, rate, b.GetVsize()))
		}
		out[i] = FeeBin{Rate: rate, VSize: b.GetVsize()}
	}
	return out, nil
}

// MempoolStats implements FeeHost.
func (h *hostClient) MempoolStats(ctx context.Context) (MempoolStats, error) {
	r, err := h.fees.MempoolStats(ctx, &pluginv1.HostMempoolStatsRequest{}, h.opts...)
	if err != nil {
		return MempoolStats{}, fromStatus(err)
	}
	return MempoolStats{Txs: r.GetTxs(), Bytes: r.GetBytes()}, nil
}

// Balance implements BalanceHost.
func (h *hostClient) Balance(ctx context.Context, scriptHash Hash) (Balance, error) {
	r, err := h.c.Balance(ctx, &pluginv1.HostBalanceRequest{ScriptHash: scriptHash[:]}, h.opts...)
	if err != nil {
		return Balance{}, fromStatus(err)
	}
	return Balance{Confirmed: r.GetConfirmed(), Unconfirmed: r.GetUnconfirmed()}, nil
}
