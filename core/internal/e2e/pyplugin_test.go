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

// TestPythonPluginLoaded loads examples/python-plugin (a plugin written in
// Python against the published .proto files and go-plugin's handshake) into
// a real amberd and calls its method through a client session.
func TestPythonPluginLoaded(t *testing.T) {
	testenv.RequirePythonPlugin(t)
	_, file, _, _ := runtime.Caller(0)
	launcher := filepath.Join(filepath.Dir(file), "..", "..", "..", "examples", "python-plugin", "hello-plugin")
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 67, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_PLUGINS__PYHELLO__PATH": launcher}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	var got string
	if err := c.CallInto(timeout(t, 30*time.Second), &got, "hello.py_world", "amber"); err != nil {
		t.Fatalf("hello.py_world: %v", err)
	}
	if got != "hello, amber" {
		t.Errorf("hello.py_world = %q, want %q", got, "hello, amber")
	}
	if _, rerr := c.Call(timeout(t, 30*time.Second), "hello.py_world"); rerr == nil || rerr.Code != -32602 {
		t.Errorf("hello.py_world without its argument: %v, want -32602 from the core's arity check", rerr)
	}
}
