package e2e

import (
	"path/filepath"
	"testing"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestKill9AmberdLeavesNoPlugins kills amberd with SIGKILL while it runs a
// daemon plugin and a method plugin: neither plugin process may outlive it.
func TestKill9AmberdLeavesNoPlugins(t *testing.T) {
	bins := harness.Binaries(t)
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 71, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGINS__HELLO__PATH": filepath.Join(filepath.Dir(bins.Amberd), "hello-method")}})
	chainPID, err := a.PluginPID()
	if err != nil {
		t.Fatal(err)
	}
	helloPID := pluginPID(t, a, "hello-method")
	if chainPID == helloPID || chainPID <= 0 || helloPID <= 0 {
		t.Fatalf("plugin pids %d and %d", chainPID, helloPID)
	}
	a.Kill()
	<-a.Done()
	waitGone(t, chainPID)
	waitGone(t, helloPID)
}
