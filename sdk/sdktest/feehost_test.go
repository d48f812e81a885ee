package sdktest_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// feePlugin answers fees.bins with the number of histogram bins its fee
// host reports: it proves the fee service reaches the plugin through the
// broker that Configure sets up, as the Host handed to SetHost.
type feePlugin struct {
	sdk.BasicPlugin
	fees sdk.FeeHost
}

func (p *feePlugin) SetHost(h sdk.Host) { p.fees, _ = h.(sdk.FeeHost) }

func (p *feePlugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{{Name: "fees.bins"}}, nil
}

func (p *feePlugin) Call(ctx context.Context, _ string, _ json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	if p.fees == nil {
		return nil, sdk.Errorf(sdk.KindInternal, "no fee host")
	}
	bins, err := p.fees.FeeHistogram(ctx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(len(bins))
}

// feeHost is a host with both the core services and the fee service.
type feeHost struct {
	*sdktest.FakeHost
	bins []sdk.FeeBin
}

func (h feeHost) FeeHistogram(context.Context) ([]sdk.FeeBin, error) { return h.bins, nil }
func (h feeHost) MempoolStats(context.Context) (sdk.MempoolStats, error) {
	return sdk.MempoolStats{Txs: 3, Bytes: 900}, nil
}

func TestFeeHostReachesPlugin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		host     sdk.Host
		wantBins int
		wantKind sdk.Kind
	}{
		{"fee host", feeHost{FakeHost: sdktest.NewFakeHost(3), bins: []sdk.FeeBin{{Rate: 12.5, VSize: 31000}, {Rate: 2, VSize: 52000}}}, 2, -1},
		{"plain host", sdktest.NewFakeHost(3), 0, sdk.KindUnimplemented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &feePlugin{BasicPlugin: sdk.BasicPlugin{Name: "fees", Version: "1.0.0"}}
			client := sdktest.NewPlugin(t, p).Methods
			ctx := context.Background()
			if err := client.WithHost(tc.host).Configure(ctx, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			res, err := client.Call(ctx, "fees.bins", json.RawMessage(`[]`), sdk.SessionInfo{})
			if tc.wantKind >= 0 {
				if sdk.KindOf(err) != tc.wantKind {
					t.Fatalf("err = %v (kind %v), want kind %v", err, sdk.KindOf(err), tc.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := json.Unmarshal(res, &n); err != nil || n != tc.wantBins {
				t.Fatalf("fees.bins = %s (%v), want %d", res, err, tc.wantBins)
			}
		})
	}
}

// flatFees serves only the fee-estimator role.
type flatFees struct{ sdk.BasicPlugin }

func (*flatFees) FeeRate(_ context.Context, blocks int, mode string) (float64, error) {
	if mode == "CONSERVATIVE" {
		return 0.0003, nil
	}
	return float64(blocks) / 4, nil
}

func (*flatFees) MinRelayFee(context.Context) (float64, error) {
	return 0, sdk.Errorf(sdk.KindUnavailable, "relay fee unknown")
}

// TestFeeEstimatorRole: a plugin serving only the fee-estimator role is
// described with that capability alone, and its answers and errors cross
// the wire unchanged.
func TestFeeEstimatorRole(t *testing.T) {
	p := sdktest.NewPlugin(t, &flatFees{sdk.BasicPlugin{Name: "flat", Version: "1"}})
	if p.Fees == nil || p.Methods != nil || p.Chain != nil {
		t.Fatalf("roles served: %+v, want the fee estimator only", p)
	}
	d, err := p.Fees.Describe(t.Context())
	if err != nil || d.Name != "flat" || !slices.Equal(d.Capabilities, []string{sdk.CapFeeEstimator}) {
		t.Fatalf("Describe = %+v, %v; want flat with [%s]", d, err, sdk.CapFeeEstimator)
	}
	if got, err := p.Fees.FeeRate(t.Context(), 3, ""); err != nil || got != 0.75 {
		t.Errorf("FeeRate(3) = %v, %v", got, err)
	}
	if got, err := p.Fees.FeeRate(t.Context(), 3, "CONSERVATIVE"); err != nil || got != 0.0003 {
		t.Errorf("FeeRate(3, CONSERVATIVE) = %v, %v", got, err)
	}
	if _, err := p.Fees.MinRelayFee(t.Context()); sdk.KindOf(err) != sdk.KindUnavailable || !strings.Contains(err.Error(), "relay fee unknown") {
		t.Errorf("MinRelayFee = %v, want the plugin's unavailable error", err)
	}
}
