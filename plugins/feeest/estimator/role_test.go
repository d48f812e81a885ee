package estimator

import (
	"slices"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// feeHost is a host whose fee service is a FeeHost of the test.
type feeHost struct {
	*sdktest.FakeHost
	sdk.FeeHost
}

// TestFeeEstimatorRole serves the plugin as sdk.Serve does and calls its
// typed fee-estimator role through the host-side adapter amberd uses, with
// the fee host service offered in Configure over go-plugin's broker.
func TestFeeEstimatorRole(t *testing.T) {
	p := sdktest.NewPlugin(t, New(nil))
	if p.Fees == nil || p.Methods == nil || p.Chain != nil {
		t.Fatalf("roles served: %+v, want fees and methods only", p)
	}
	host := feeHost{sdktest.NewFakeHost(2), busyFees()}
	if err := p.Methods.WithHost(host).Configure(ctx(t), []byte(`{"source":"mempool","relay_fee":0.00002,"conservative_margin":1.5}`)); err != nil {
		t.Fatal(err)
	}
	d, err := p.Methods.Describe(ctx(t))
	if err != nil || !slices.Contains(d.Capabilities, sdk.CapFeeEstimator) || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) {
		t.Fatalf("Describe = %+v, %v; want the %q and %q capabilities", d, err, sdk.CapFeeEstimator, sdk.CapMethodProvider)
	}
	for _, tc := range []struct {
		blocks int
		mode   string
		want   float64
	}{
		{1, "", 0.0001}, {1, "ECONOMICAL", 0.0001}, {1, "CONSERVATIVE", 0.00015},
		{0, "", 0.0001},     // target 0 is 1
		{2, "", 0.00002},    // everything fits: the relay fee
		{5000, "", 0.00002}, // clamped to MaxTarget
	} {
		if got, err := p.Fees.FeeRate(ctx(t), tc.blocks, tc.mode); err != nil || got != tc.want {
			t.Errorf("FeeRate(%d, %q) = %v, %v; want %v", tc.blocks, tc.mode, got, err, tc.want)
		}
	}
	if got, err := p.Fees.MinRelayFee(ctx(t)); err != nil || got != 0.00002 {
		t.Errorf("MinRelayFee = %v, %v; want 0.00002", got, err)
	}
	if _, err := p.Fees.FeeRate(ctx(t), 1, "UNSET"); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Errorf("FeeRate with mode UNSET: %v, want invalid-argument", err)
	}
	if _, err := p.Fees.FeeRate(ctx(t), -1, ""); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Errorf("FeeRate with blocks -1: %v, want invalid-argument", err)
	}
}
