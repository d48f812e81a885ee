package hostside_test

import (
	"context"
	"math"
	"net"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// staticFees is a FeeHost with fixed answers.
type staticFees struct {
	bins  []sdk.FeeBin
	stats sdk.MempoolStats
	err   error
}

func (f staticFees) FeeHistogram(context.Context) ([]sdk.FeeBin, error)     { return f.bins, f.err }
func (f staticFees) MempoolStats(context.Context) (sdk.MempoolStats, error) { return f.stats, f.err }

// feeClient serves impl with RegisterFeeHost on a loopback gRPC server and
// returns the plugin side's FeeHost for it.
func feeClient(t *testing.T, impl sdk.FeeHost) sdk.FeeHost {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	hostside.RegisterFeeHost(s, impl)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return hostside.NewHostClient(cc).(sdk.FeeHost)
}

func TestFeeHostWire(t *testing.T) {
	bins := []sdk.FeeBin{{Rate: 21.5, VSize: 150_000}, {Rate: 0, VSize: 7}}
	c := feeClient(t, staticFees{bins: bins, stats: sdk.MempoolStats{Txs: 12, Bytes: 3456}})
	got, err := c.FeeHistogram(t.Context())
	if err != nil || !slices.Equal(got, bins) {
		t.Errorf("FeeHistogram = %v, %v; want %v", got, err, bins)
	}
	st, err := c.MempoolStats(t.Context())
	if err != nil || st != (sdk.MempoolStats{Txs: 12, Bytes: 3456}) {
		t.Errorf("MempoolStats = %+v, %v", st, err)
	}

	failing := feeClient(t, staticFees{err: sdk.Errorf(sdk.KindUnavailable, "index closing")})
	if _, err := failing.FeeHistogram(t.Context()); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("host error: %v, want unavailable", err)
	}
	if _, err := failing.MempoolStats(t.Context()); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("host error: %v, want unavailable", err)
	}
}

// TestFeeHostMalformed: bins with impossible values are refused as a
// malformed host reply.
func TestFeeHostMalformed(t *testing.T) {
	for _, b := range []sdk.FeeBin{{Rate: -1, VSize: 10}, {Rate: math.NaN(), VSize: 10}, {Rate: math.Inf(1), VSize: 10}, {Rate: 3, VSize: -5}} {
		c := feeClient(t, staticFees{bins: []sdk.FeeBin{{Rate: 9, VSize: 1}, b}})
		if got, err := c.FeeHistogram(t.Context()); sdk.KindOf(err) != sdk.KindInternal || got != nil {
			t.Errorf("bin %+v: %v, %v; want an internal error", b, got, err)
		}
	}
}
