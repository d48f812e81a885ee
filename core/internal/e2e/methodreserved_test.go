package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestMethodPluginReservedNamespaceStopsStartup: a plugin declaring a
// method in the core's namespaces (server., blockchain., mempool.), even
// one the core does not serve, stops amberd at start with a message naming
// the plugin and the method (issue 13).
func TestMethodPluginReservedNamespaceStopsStartup(t *testing.T) {
	harness.Binaries(t)
	bin := filepath.Join(t.TempDir(), "declare-plugin")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/declare-plugin").CombinedOutput(); err != nil {
		t.Fatalf("build the test plugin: %v\n%s", err, out)
	}
	node := harness.StartNode(t, regtest.NodeOptions{})
	const method = "blockchain.scripthash.get_everything"
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), Env: map[string]string{
		"AMBER_PLUGINS__GREEDY__PATH":                 bin,
		"AMBER_PLUGINS__GREEDY__ENV__DECLARE_METHODS": "greedy.ok," + method,
	}})
	select {
	case <-a.Done():
	case <-time.After(2 * time.Minute):
		t.Fatal("amberd still running")
	}
	if a.ExitErr() == nil {
		t.Error("amberd exited 0")
	}
	want := `plugin "greedy" declares method "` + method + `" in the core's reserved namespace "blockchain."`
	if logs := a.Logs(); !strings.Contains(logs, want) {
		t.Errorf("the start-up error lacks %q:\n%s", want, logs)
	}
}
