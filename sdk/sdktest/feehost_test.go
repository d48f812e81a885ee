package sdktest_test

import (
	"context"
	"encoding/json"
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
			if err := client.Configure(ctx, []byte(`{}`), tc.host); err != nil {
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
