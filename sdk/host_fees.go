package sdk

import (
	"context"
	"math"

	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// FeeBin is one pair of amberd's compact mempool fee histogram (what
// mempool.get_fee_histogram sends): the bin's transactions pay at least Rate
// sat/vB, less than the previous bin's Rate, and weigh VSize virtual bytes
// together.
type FeeBin struct {
	Rate  float64 // sat/vB
	VSize int64   // virtual bytes
}

// MempoolStats is the size of amberd's view of the mempool.
type MempoolStats struct {
	Txs   int64 // number of transactions
	Bytes int64 // total serialized size
}

// FeeHost is the optional fee host service: amberd's mempool fee data. It
// travels on the same broker connection as Host but is a separate gRPC
// service (HostFees), so Host is unchanged and a host that does not serve
// it answers KindUnimplemented.
type FeeHost interface {
	// FeeHistogram returns the compact fee histogram, highest rate first.
	// It leaves out the cheapest transactions that do not fill a bin, so
	// a small mempool has an empty histogram.
	FeeHistogram(ctx context.Context) ([]FeeBin, error)
	// MempoolStats returns the number and total size of the mempool's
	// transactions.
	MempoolStats(ctx context.Context) (MempoolStats, error)
}

// FeeHostAware is implemented by plugin implementations that use the fee
// host service. When the host offers host services, SetFeeHost is called
// once, before Configure, like HostAware.SetHost.
type FeeHostAware interface {
	SetFeeHost(FeeHost)
}

// RegisterFeeHost registers the HostFees service for impl on s (the host
// side; next to RegisterHost on the broker server).
func RegisterFeeHost(s grpc.ServiceRegistrar, impl FeeHost) {
	pluginv1.RegisterHostFeesServer(s, &feeHostServer{impl: impl})
}

// feeHostServer serves a FeeHost over gRPC.
type feeHostServer struct {
	pluginv1.UnimplementedHostFeesServer
	impl FeeHost
}

func (s *feeHostServer) FeeHistogram(ctx context.Context, _ *pluginv1.HostFeeHistogramRequest) (*pluginv1.HostFeeHistogramResponse, error) {
	bins, err := s.impl.FeeHistogram(ctx)
	if err != nil {
		return nil, ToStatus(err)
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
		return nil, ToStatus(err)
	}
	return &pluginv1.HostMempoolStatsResponse{Txs: st.Txs, Bytes: st.Bytes}, nil
}

// FeeHostClient is the plugin-side FeeHost: it calls the HostFees service
// over the broker connection of the host services. Errors are *Error values
// rebuilt by FromStatus (KindUnimplemented when the host lacks the service).
type FeeHostClient struct {
	c    pluginv1.HostFeesClient
	opts []grpc.CallOption
}

var _ FeeHost = (*FeeHostClient)(nil)

// NewFeeHostClient returns a FeeHost calling the HostFees service on cc,
// the connection NewHostClient is given.
func NewFeeHostClient(cc grpc.ClientConnInterface) *FeeHostClient {
	return &FeeHostClient{c: pluginv1.NewHostFeesClient(cc), opts: CallOptions()}
}

// FeeHistogram implements FeeHost. A bin with a negative, NaN or infinite
// rate or a negative size is a malformed reply.
func (h *FeeHostClient) FeeHistogram(ctx context.Context) ([]FeeBin, error) {
	r, err := h.c.FeeHistogram(ctx, &pluginv1.HostFeeHistogramRequest{}, h.opts...)
	if err != nil {
		return nil, FromStatus(err)
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
func (h *FeeHostClient) MempoolStats(ctx context.Context) (MempoolStats, error) {
	r, err := h.c.MempoolStats(ctx, &pluginv1.HostMempoolStatsRequest{}, h.opts...)
	if err != nil {
		return MempoolStats{}, FromStatus(err)
	}
	return MempoolStats{Txs: r.GetTxs(), Bytes: r.GetBytes()}, nil
}
