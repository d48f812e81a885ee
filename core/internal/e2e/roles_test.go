package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestPluginRolesByCapability: the chain backend is the plugin that
// declares the chain-backend capability, whatever its config block is
// called. amber-bitcoind configured as plugins.mydaemon syncs amberd and is
// listed with the chain role, while the block named bitcoind holds the
// example method plugin and gets the methods role; without a path the
// bundled amber-bitcoind beside amberd is the chain backend; amber-bitcoind under
// both plugins.bitcoind and plugins.mydaemon stops start-up naming both.
func TestPluginRolesByCapability(t *testing.T) {
	bins := harness.Binaries(t)
	hello := filepath.Join(filepath.Dir(bins.Amberd), "hello-method")
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 62, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)

	t.Run("renamed", func(t *testing.T) {
		a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Env: map[string]string{
			"AMBER_PLUGINS__MYDAEMON__PATH": bins.Plugin,
			"AMBER_PLUGINS__BITCOIND__PATH": hello,
		}})
		waitCaughtUp(t, harness.Dial(t, a.TCPAddr()), m)
		ps := ctlPlugins(t, a)
		if p := ps["mydaemon"]; p.Role != "chain" || p.State != "running" || p.Binary != bins.Plugin {
			t.Errorf("mydaemon: %+v, want the running chain backend", p)
		}
		if p := ps["bitcoind"]; p.Role != "methods" || p.State != "running" || p.Binary != hello || len(p.Methods) == 0 {
			t.Errorf("bitcoind: %+v, want the hello method provider", p)
		}
	})

	t.Run("bundled beside amberd", func(t *testing.T) {
		a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Env: map[string]string{
			"AMBER_PLUGINS__BITCOIND__PATH": "", // no path: amber-bitcoind from amberd's directory
		}})
		waitCaughtUp(t, harness.Dial(t, a.TCPAddr()), m)
		if p := ctlPlugins(t, a)["bitcoind"]; p.Role != "chain" || p.State != "running" || p.Binary != bins.Plugin {
			t.Errorf("bitcoind: %+v, want the bundled %s as the chain backend", p, bins.Plugin)
		}
	})

	t.Run("two chain backends", func(t *testing.T) {
		a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), Env: map[string]string{
			"AMBER_PLUGINS__MYDAEMON__PATH": bins.Plugin,
		}})
		select {
		case <-a.Done():
		case <-time.After(2 * time.Minute):
			t.Fatal("amberd still running")
		}
		if a.ExitErr() == nil {
			t.Error("amberd exited 0")
		}
		want := `plugins "bitcoind" (plugins.bitcoind, ` + bins.Plugin + `) and "mydaemon" (plugins.mydaemon, ` + bins.Plugin + `) both declare the "chain-backend" capability`
		if logs := a.Logs(); !strings.Contains(logs, want) {
			t.Errorf("the start-up error lacks %q:\n%s", want, logs)
		}
	})
}
