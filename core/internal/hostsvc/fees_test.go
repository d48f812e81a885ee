package hostsvc

import (
	"slices"
	"testing"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

var _ FeeIndex = (*index.Index)(nil)

// feeFakeIndex adds the fee reads to fakeIndex.
type feeFakeIndex struct {
	*fakeIndex
	bins   []index.FeeBin
	status index.Status
}

func (f *feeFakeIndex) FeeHistogram() []index.FeeBin { return f.bins }
func (f *feeFakeIndex) Status() index.Status         { return f.status }

// feeWire serves srv's host services, with the fee service if register, as
// amberd does (sdktest.WireHost) and returns the plugin-side client.
func feeWire(t *testing.T, srv *Server, register bool) sdk.FeeHost {
	t.Helper()
	if register {
		return sdktest.WireHost(t, srv).(sdk.FeeHost) // *Server is an sdk.FeeHost: the fee service is served
	}
	return sdktest.WireHost(t, struct{ sdk.Host }{srv}).(sdk.FeeHost) // hides the FeeHost methods
}

func TestFeeHistogramAndStats(t *testing.T) {
	ix := &feeFakeIndex{
		fakeIndex: newFakeIndex(3),
		bins:      []index.FeeBin{{Rate: 50.5, VSize: 120_000}, {Rate: 12.3, VSize: 250_000}, {Rate: 1, VSize: 400_000}},
		status:    index.Status{MempoolTxs: 4321, MempoolBytes: 987_654},
	}
	c := feeWire(t, New(Options{Index: ix}), true)
	bins, err := c.FeeHistogram(ctx10(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []sdk.FeeBin{{Rate: 50.5, VSize: 120_000}, {Rate: 12.3, VSize: 250_000}, {Rate: 1, VSize: 400_000}}
	if !slices.Equal(bins, want) {
		t.Errorf("FeeHistogram = %v, want %v", bins, want)
	}
	st, err := c.MempoolStats(ctx10(t))
	if err != nil || st != (sdk.MempoolStats{Txs: 4321, Bytes: 987_654}) {
		t.Errorf("MempoolStats = %+v, %v; want 4321 txs, 987654 bytes", st, err)
	}

	ix.bins = nil
	if bins, err := c.FeeHistogram(ctx10(t)); err != nil || len(bins) != 0 {
		t.Errorf("empty histogram = %v, %v", bins, err)
	}
}

// TestFeesUnimplemented: an index without fee reads, and a host that does
// not register the service, both answer KindUnimplemented.
func TestFeesUnimplemented(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ix       Index
		register bool
	}{
		{"index without fees", newFakeIndex(1), true},
		{"service not registered", &feeFakeIndex{fakeIndex: newFakeIndex(1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := feeWire(t, New(Options{Index: tc.ix}), tc.register)
			if _, err := c.FeeHistogram(ctx10(t)); sdk.KindOf(err) != sdk.KindUnimplemented {
				t.Errorf("FeeHistogram: %v, want unimplemented", err)
			}
			if _, err := c.MempoolStats(ctx10(t)); sdk.KindOf(err) != sdk.KindUnimplemented {
				t.Errorf("MempoolStats: %v, want unimplemented", err)
			}
		})
	}
}
