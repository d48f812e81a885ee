package pythonplugin

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// TestPythonFeeEstimator: the fees-py plugin (fees_plugin.py) started as
// amberd starts it serves the fee-estimator role: Describe lists exactly
// fee-estimator, FeeRate and MinRelayFee answer through the FeeEstimator
// service as amberd calls them, and errors keep their kinds.
func TestPythonFeeEstimator(t *testing.T) {
	client, raw, _ := start(t, "fees-plugin", hostside.PluginFees)
	fc := raw.(*hostside.FeeClient)

	d, err := fc.Describe(ctx(t))
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if d.Name != "fees-py" || !slices.Equal(d.Capabilities, []string{sdk.CapFeeEstimator}) {
		t.Errorf("Describe = %+v, want fees-py with capabilities [%s] only", d, sdk.CapFeeEstimator)
	}

	if err := fc.Configure(ctx(t), []byte(`{"rate":"high"}`)); sdk.KindOf(err) != sdk.KindInvalidArgument ||
		!strings.Contains(err.Error(), "fees-py config: rate") {
		t.Errorf("Configure with a string rate: %v, want invalid argument naming rate", err)
	}
	if err := fc.Configure(ctx(t), []byte(`{"rate":0.0008,"relay_fee":0.00003}`)); err != nil {
		t.Fatalf("Configure: %v", err)
	}

	for _, tc := range []struct {
		blocks int
		mode   string
		want   float64
	}{
		{1, "", 0.0008},
		{2, "CONSERVATIVE", 0.0008},
		{6, "ECONOMICAL", 0.0004},
		{1008, "", 0.0004},
		{1009, "", -1}, // no estimate
	} {
		got, err := fc.FeeRate(ctx(t), tc.blocks, tc.mode)
		if err != nil || got != tc.want {
			t.Errorf("FeeRate(%d, %q) = %v, %v; want %v", tc.blocks, tc.mode, got, err, tc.want)
		}
	}
	if got, err := fc.MinRelayFee(ctx(t)); err != nil || got != 0.00003 {
		t.Errorf("MinRelayFee = %v, %v; want 0.00003", got, err)
	}

	// The plugin's own refusal and amber_plugin's check before the handler.
	for _, tc := range []struct {
		blocks int
		mode   string
		text   string
	}{
		{2, "FAST", "mode 'FAST'"},
		{-1, "", "blocks -1"},
	} {
		_, err := fc.FeeRate(ctx(t), tc.blocks, tc.mode)
		var se *sdk.Error
		if !errors.As(err, &se) || se.Kind != sdk.KindInvalidArgument || !strings.Contains(se.Message, tc.text) {
			t.Errorf("FeeRate(%d, %q) error = %v, want invalid argument containing %q", tc.blocks, tc.mode, err, tc.text)
		}
	}

	if err := fc.Shutdown(ctx(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	client.Kill()
	if !client.Exited() {
		t.Errorf("the plugin process did not exit")
	}
}
