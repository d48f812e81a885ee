package e2e

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

// TestPythonFeeEstimator loads examples/python-plugin's fees-py (a fee
// estimator written in Python with sdk/python's amber_plugin) into a real
// amberd under a name that is not feeest, and sees the core's
// blockchain.estimatefee and blockchain.relayfee answered by it (its
// configured rates, not btcd's 0.00001 relay fee): amberd found it by the
// fee-estimator capability of its Describe and called its FeeEstimator
// service.
func TestPythonFeeEstimator(t *testing.T) {
	testenv.RequirePythonPlugin(t)
	_, file, _, _ := runtime.Caller(0)
	launcher := filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "python-plugin", "fees-plugin")
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 67, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Env: map[string]string{
		"AMBER_PLUGINS__PYFEES__PATH":   launcher,
		"AMBER_PLUGINS__PYFEES__CONFIG": `{"rate":0.0007,"relay_fee":0.00004}`,
	}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	ctx := timeout(t, time.Minute)

	var relay float64
	if err := c.CallInto(ctx, &relay, "blockchain.relayfee"); err != nil || relay != 0.00004 {
		t.Errorf("blockchain.relayfee = %v (%v), want the Python plugin's 0.00004", relay, err)
	}
	for _, tc := range []struct {
		blocks int
		want   float64
	}{
		{2, 0.0007},  // the plugin's rate within 2 blocks
		{6, 0.00035}, // halved beyond
	} {
		var est float64
		if err := c.CallInto(ctx, &est, "blockchain.estimatefee", tc.blocks); err != nil || est != tc.want {
			t.Errorf("blockchain.estimatefee %d = %v (%v), want the Python plugin's %v", tc.blocks, est, err, tc.want)
		}
	}
}
