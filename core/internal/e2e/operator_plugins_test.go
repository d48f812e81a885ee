package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// operatorPlugin is one row of `amberctl --json plugins`.
type operatorPlugin struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Binary    string `json:"binary"`
	State     string `json:"state"`
	PID       int    `json:"pid"`
	Restarts  int64  `json:"restarts"`
	Crashes   int    `json:"crashes"`
	LastError string `json:"last_error"`
	Methods   []struct {
		Name   string   `json:"name"`
		Params []string `json:"params"`
	} `json:"methods"`
}

func ctlPlugins(t *testing.T, a *harness.Amberd) map[string]operatorPlugin {
	t.Helper()
	out, code := a.Ctl("--json", "plugins")
	if code != 0 {
		t.Fatalf("amberctl plugins exited %d", code)
	}
	var list []operatorPlugin
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("amberctl --json plugins: %v\n%s", err, out)
	}
	m := map[string]operatorPlugin{}
	for _, p := range list {
		m[p.Name] = p
	}
	return m
}

// TestOperatorPluginRestart drives the example method plugin into the
// crash-loop breaker (plugin_crash_limit 2: two kill -9 in a row), checks
// that `amberctl plugins` shows it failed with the breaker's reason and
// that its methods answer DAEMON_ERROR, then brings it back with
// `amberctl plugin_restart hello`: the same client connection gets answers
// again, the crash count is cleared, and the supervisor restarts it after
// a later crash again.
func TestOperatorPluginRestart(t *testing.T) {
	bins := harness.Binaries(t)
	hello := filepath.Join(filepath.Dir(bins.Amberd), "hello-method")
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 61, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGINS__HELLO__PATH": hello, "AMBER_PLUGIN_RESTART_DELAY": "200ms",
			"AMBER_PLUGIN_CRASH_LIMIT": "2", "AMBER_PLUGIN_CRASH_WINDOW": "1h"}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)

	ps := ctlPlugins(t, a)
	if p := ps["hello"]; p.State != "running" || p.Role != "methods" || p.Binary != hello || p.PID == 0 || p.LastError != "" {
		t.Fatalf("hello before any crash: %+v", p)
	}
	if p := ps["hello"]; len(p.Methods) != 2 || p.Methods[0].Name != "hello.height" || p.Methods[1].Name != "hello.world" ||
		len(p.Methods[1].Params) != 1 || p.Methods[1].Params[0] != "name" {
		t.Errorf("hello's methods: %+v", p.Methods)
	}
	if p := ps["bitcoind"]; p.State != "running" || p.Role != "chain" {
		t.Errorf("bitcoind: %+v", p)
	}
	helloWorks := func(what string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			res, rerr := c.Call(timeout(t, 10*time.Second), "hello.world", what)
			if rerr == nil {
				if string(res) != `"hello, `+what+`"` {
					t.Fatalf("hello.world: %s", res)
				}
				return
			}
			if rerr.Code != 2 || time.Now().After(deadline) {
				t.Fatalf("hello.world (%s): code %d %q", what, rerr.Code, rerr.Message)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	killHello := func() {
		t.Helper()
		pid := pluginPID(t, a, "hello-method")
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pid)
	}

	// Crash 1 is restarted; crash 2 opens the breaker.
	killHello()
	helloWorks("one")
	killHello()
	var p operatorPlugin
	deadline := time.Now().Add(time.Minute)
	for p = ctlPlugins(t, a)["hello"]; p.State != "failed"; p = ctlPlugins(t, a)["hello"] {
		if time.Now().After(deadline) {
			t.Fatalf("hello did not fail after two crashes: %+v", p)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.Crashes != 2 || p.Restarts != 1 || p.PID != 0 || !strings.Contains(p.LastError, "crash-loop breaker") {
		t.Errorf("hello after the breaker opened: %+v", p)
	}
	if _, rerr := c.Call(timeout(t, 10*time.Second), "hello.world", "x"); rerr == nil || rerr.Code != 2 {
		t.Errorf("hello.world with the breaker open: %v, want DAEMON_ERROR", rerr)
	}
	table, code := a.Ctl("plugins")
	if code != 0 || !strings.Contains(table, "hello") || !strings.Contains(table, "failed") {
		t.Errorf("amberctl plugins table (exit %d):\n%s", code, table)
	}
	if _, code := a.Ctl("plugin_restart", "nosuch"); code != 1 {
		t.Errorf("plugin_restart of an unknown plugin exited %d, want 1", code)
	}

	out, code := a.Ctl("--json", "plugin_restart", "hello")
	if code != 0 {
		t.Fatalf("amberctl plugin_restart hello exited %d: %s", code, out)
	}
	var back operatorPlugin
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("plugin_restart answer: %v\n%s", err, out)
	}
	if back.State != "running" || back.PID == 0 || back.Crashes != 0 || back.Restarts != 2 || !strings.Contains(back.LastError, "crash-loop breaker") {
		t.Errorf("plugin_restart answer: %+v", back)
	}
	helloWorks("back")
	// Supervision resumed: one more crash is restarted (the count was cleared).
	killHello()
	helloWorks("again")
	if p := ctlPlugins(t, a)["hello"]; p.State != "running" || p.Crashes != 1 || p.Restarts != 3 {
		t.Errorf("hello after a crash following plugin_restart: %+v", p)
	}
	if !a.Alive() {
		t.Fatalf("amberd exited: %v", a.ExitErr())
	}
}
