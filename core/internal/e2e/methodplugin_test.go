package e2e

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestMethodPluginLoaded loads the SDK example plugin (examples/hello-method)
// into a real amberd: a client calls its methods (one answered from the
// host services), arity is checked by the core, and after kill -9 of the
// plugin process its methods fail with DAEMON_ERROR until the restart, then
// work again on the same connection.
func TestMethodPluginLoaded(t *testing.T) {
	bins := harness.Binaries(t)
	hello := filepath.Join(filepath.Dir(bins.Amberd), "hello-method")
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 59, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGINS__HELLO__PATH": hello, "AMBER_PLUGIN_RESTART_DELAY": "500ms"}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)

	var greeting string
	if err := c.CallInto(timeout(t, 10*time.Second), &greeting, "hello.world", "amber"); err != nil {
		t.Fatalf("hello.world: %v", err)
	}
	if greeting != "hello, amber" {
		t.Errorf("hello.world = %q", greeting)
	}
	res, rerr := c.Call(timeout(t, 10*time.Second), "hello.height")
	if rerr != nil {
		t.Fatalf("hello.height: %v", rerr)
	}
	if got := string(res); got != jsonInt(m.Tip()) && !jsonHasHeight(res, m.Tip()) {
		t.Errorf("hello.height = %s, want the tip %d (through the host services)", res, m.Tip())
	}
	if _, rerr := c.Call(timeout(t, 10*time.Second), "hello.world"); rerr == nil || rerr.Code != -32602 {
		t.Errorf("hello.world without its argument: %v, want -32602", rerr)
	}

	pid := pluginPID(t, a, "hello-method")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	deadline := time.Now().Add(time.Minute)
	for {
		res, rerr := c.Call(timeout(t, 10*time.Second), "hello.world", "again")
		if rerr == nil {
			if string(res) != `"hello, again"` {
				t.Fatalf("after restart: %s", res)
			}
			break
		}
		if rerr.Code != 2 {
			t.Fatalf("while the plugin restarts: code %d %q, want 2", rerr.Code, rerr.Message)
		}
		if time.Now().After(deadline) {
			t.Fatal("plugin did not come back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// jsonHasHeight accepts an object answer with a "height" member.
func jsonHasHeight(raw json.RawMessage, h int64) bool {
	var v struct {
		Height int64 `json:"height"`
	}
	return json.Unmarshal(raw, &v) == nil && v.Height == h
}

// pluginPID finds a child process of amberd by command name.
func pluginPID(t *testing.T, a *harness.Amberd, comm string) int {
	t.Helper()
	out, code := a.Ctl("--json", "getinfo")
	if code != 0 {
		t.Fatalf("getinfo exited %d", code)
	}
	var gi struct {
		Amber struct {
			Plugins []struct {
				Name string `json:"name"`
				PID  int    `json:"pid"`
			} `json:"plugins"`
		} `json:"amber"`
	}
	if err := json.Unmarshal([]byte(out), &gi); err != nil {
		t.Fatal(err)
	}
	for _, p := range gi.Amber.Plugins {
		if p.Name == "hello" && p.PID > 0 {
			return p.PID
		}
	}
	t.Fatalf("no running plugin %q (%s) in getinfo: %s", "hello", comm, out)
	return 0
}
