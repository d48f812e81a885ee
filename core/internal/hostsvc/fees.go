package hostsvc

import (
	"context"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// FeeIndex is what the fee host service reads; *index.Index satisfies it.
// When Options.Index does not implement it, the fee calls answer
// KindUnimplemented.
type FeeIndex interface {
	FeeHistogram() []index.FeeBin
	Status() index.Status
}

var _ sdk.FeeHost = (*Server)(nil)

// feeIndex returns the index as a FeeIndex, or the error to answer.
func (s *Server) feeIndex(ctx context.Context) (FeeIndex, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, ok := s.ix.(FeeIndex)
	if !ok {
		return nil, sdk.Errorf(sdk.KindUnimplemented, "the index has no fee histogram")
	}
	return fi, nil
}

// FeeHistogram implements sdk.FeeHost with the index's cached compact
// histogram (highest rate first).
func (s *Server) FeeHistogram(ctx context.Context) ([]sdk.FeeBin, error) {
	fi, err := s.feeIndex(ctx)
	if err != nil {
		return nil, err
	}
	bins := fi.FeeHistogram()
	out := make([]sdk.FeeBin, len(bins))
	for i, b := range bins {
		out[i] = sdk.FeeBin{Rate: b.Rate, VSize: b.VSize}
	}
	return out, nil
}

// MempoolStats implements sdk.FeeHost from the index status.
func (s *Server) MempoolStats(ctx context.Context) (sdk.MempoolStats, error) {
	fi, err := s.feeIndex(ctx)
	if err != nil {
		return sdk.MempoolStats{}, err
	}
	st := fi.Status()
	return sdk.MempoolStats{Txs: int64(st.MempoolTxs), Bytes: st.MempoolBytes}, nil
}

// hostside.RegisterHost registers the fee service (amber.plugin.v1.HostFees)
// along with the host services, since *Server is an sdk.FeeHost.
