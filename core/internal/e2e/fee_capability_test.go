package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestFeePluginFoundByCapability: amberd finds the fee plugin by the
// fee-estimator capability its Describe lists, not by its config name.
// amber-feeest loaded as plugins.estimator answers the core's
// blockchain.relayfee and blockchain.estimatefee, and another plugin
// loaded as plugins.feeest (amber-history, no fee-estimator role) leaves
// them with the daemon.
func TestFeePluginFoundByCapability(t *testing.T) {
	bins := harness.Binaries(t)
	dir := filepath.Dir(bins.Amberd)
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 67, regtest.Spec{Blocks: 110, TxPerBlock: 2, Scripts: 3, MempoolTxs: 2})
	m := buildModel(t, node)

	for _, tc := range []struct {
		name      string
		env       map[string]string
		wantRelay float64
	}{
		{"feeest as plugins.estimator", map[string]string{
			"AMBER_PLUGINS__ESTIMATOR__PATH":   filepath.Join(dir, "amber-feeest"),
			"AMBER_PLUGINS__ESTIMATOR__CONFIG": `{"source":"mempool","relay_fee":0.0003}`,
		}, 0.0003},
		{"history as plugins.feeest", map[string]string{
			"AMBER_PLUGINS__FEEEST__PATH": filepath.Join(dir, "amber-history"),
		}, 0.00001}, // btcd's relay fee
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Env: tc.env})
			c := harness.Dial(t, a.TCPAddr())
			waitCaughtUp(t, c, m)
			ctx := timeout(t, time.Minute)
			var relay float64
			if err := c.CallInto(ctx, &relay, "blockchain.relayfee"); err != nil || relay != tc.wantRelay {
				t.Errorf("blockchain.relayfee = %v (%v), want %v", relay, err, tc.wantRelay)
			}
			if tc.wantRelay != 0.0003 {
				return
			}
			// A mempool far below one block: the estimate is the plugin's relay fee floor.
			var est float64
			if err := c.CallInto(ctx, &est, "blockchain.estimatefee", 2); err != nil || est != 0.0003 {
				t.Errorf("blockchain.estimatefee 2 = %v (%v), want the plugin's 0.0003", est, err)
			}
		})
	}
}
