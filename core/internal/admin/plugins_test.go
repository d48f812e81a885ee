package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden")

// fakePlugins is a PluginControl over a fixed table; restarting "feeest"
// fails like a plugin that still crashes.
type fakePlugins struct {
	mu        sync.Mutex
	list      []PluginInfo
	restarted []string
}

func (f *fakePlugins) PluginInfos() []PluginInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PluginInfo(nil), f.list...)
}

func (f *fakePlugins) RestartPlugin(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.list {
		p := &f.list[i]
		if p.Name != name {
			continue
		}
		if name == "feeest" {
			return fmt.Errorf(`plugin "feeest": exited before the handshake`)
		}
		f.restarted = append(f.restarted, name)
		p.State, p.PID, p.Crashes, p.Restarts = "running", 4242, 0, p.Restarts+1
		return nil
	}
	return fmt.Errorf("%w %q", ErrUnknownPlugin, name)
}

func newFakePlugins() *fakePlugins {
	return &fakePlugins{list: []PluginInfo{
		{Name: "bitcoind", Role: "chain", Binary: "/opt/amber/bin/amber-bitcoind", Version: "0.1.0", SDKVersion: "1",
			State: "running", PID: 100, Restarts: 0, Methods: []PluginMethod{}},
		{Name: "feeest", Role: "methods", Binary: "/opt/amber/bin/amber-feeest", Version: "0.1.0", SDKVersion: "1",
			State: "failed", Restarts: 2, Crashes: 5,
			Methods:   []PluginMethod{{Name: "feeest.estimatefee", MinArgs: 1, MaxArgs: 2, Params: []string{"number", "mode"}}, {Name: "feeest.relayfee", Params: []string{}}},
			LastError: `plugin "feeest": 5 crashes within 10m0s, not restarting it (crash-loop breaker): plugin "feeest" exited unexpectedly (signal: killed)`},
		{Name: "history", Role: "methods", Binary: "/opt/amber/bin/amber-history", Version: "0.1.0", SDKVersion: "1",
			State: "failed", Restarts: 1, Crashes: 5,
			Methods:   []PluginMethod{{Name: "amber.scripthash.get_history_page", MinArgs: 1, MaxArgs: 3, Params: []string{"scripthash", "cursor", "limit"}}},
			LastError: `plugin "history": 5 crashes within 10m0s, not restarting it (crash-loop breaker): plugin "history" exited unexpectedly (exit status 2)`},
	}}
}

// TestPluginsGolden records the replies of plugins and plugin_restart, and
// the refusals, in testdata/plugins.golden.
func TestPluginsGolden(t *testing.T) {
	fp := newFakePlugins()
	r := newRig(t, func(o *Options) { o.PluginControl = fp })
	a := r.dial(r.rpcAddr)
	var out bytes.Buffer
	record := func(method string, params any) {
		res, e := a.call(method, params)
		p, _ := json.Marshal(params)
		fmt.Fprintf(&out, "%s %s\n", method, p)
		if e != nil {
			fmt.Fprintf(&out, "error %d: %s\n\n", e.Code, e.Message)
			return
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, res, "", "  "); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s\n\n", pretty.Bytes())
	}
	record("plugins", map[string]any{})
	record("plugin_restart", map[string]any{"name": "history"})
	record("plugin_restart", []string{"history"})
	record("plugin_restart", map[string]any{"name": "nope"})
	record("plugin_restart", map[string]any{"name": "feeest"})
	record("plugin_restart", map[string]any{"name": ""})
	record("plugin_restart", map[string]any{})
	record("plugins", []any{})
	checkAdminGolden(t, "testdata/plugins.golden", out.Bytes())
	if len(fp.restarted) != 2 || fp.restarted[0] != "history" {
		t.Errorf("restarted %q, want history twice", fp.restarted)
	}
}

// TestPluginsWithoutControl: no PluginControl lists nothing and refuses a
// restart.
func TestPluginsWithoutControl(t *testing.T) {
	r := newRig(t, nil)
	a := r.dial(r.rpcAddr)
	var list []PluginInfo
	a.ok(&list, "plugins", map[string]any{})
	if list == nil || len(list) != 0 {
		t.Errorf("plugins = %v, want []", list)
	}
	expectErr(t, a, "plugin_restart", []string{"x"}, 1, "no plugin control configured")
}

func checkAdminGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
