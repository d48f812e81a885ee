package pythonplugin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

const systemPython = "/usr/bin/python3"

// requirePython skips (or, with CI set, fails) when Debian's python3 with
// grpcio and cryptography, or protoc, is missing.
func requirePython(t *testing.T) {
	t.Helper()
	var missing []string
	if out, err := exec.Command(systemPython, "-c", "import grpc, cryptography, google.protobuf").CombinedOutput(); err != nil {
		missing = append(missing, "python3-grpcio/python3-cryptography/python3-protobuf ("+strings.TrimSpace(string(out))+")")
	}
	if _, err := exec.LookPath("protoc"); err != nil {
		missing = append(missing, "protoc")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and the Python plugin cannot run: missing %s", strings.Join(missing, ", "))
	}
	t.Skipf("missing %s", strings.Join(missing, ", "))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// launch starts hello-plugin and dispenses its method-provider role.
func launch(t *testing.T) (*plugin.Client, *hostside.MethodsClient, *logBuffer) {
	t.Helper()
	client, raw, logs := start(t, "hello-plugin", hostside.PluginMethods)
	return client, raw.(*hostside.MethodsClient), logs
}

// start starts the launcher name as amberd's pluginhost does (go-plugin
// with gRPC only, AutoMTLS, and an environment of PATH and HOME only) and
// dispenses role.
func start(t *testing.T, name, role string) (*plugin.Client, any, *logBuffer) {
	t.Helper()
	requirePython(t)
	path, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cmd := exec.Command(path)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  hostside.Handshake,
		VersionedPlugins: hostside.PluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     30 * time.Second,
		Stderr:           testWriter{t},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.MultiWriter(testWriter{t}, logs), Level: hclog.Warn}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start the Python plugin: %v", err)
	}
	raw, err := rpc.Dispense(role)
	if err != nil {
		t.Fatal(err)
	}
	return client, raw, logs
}

// logBuffer keeps go-plugin's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("plugin: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestPythonPlugin: handshake, health, Describe, Configure (with host
// services offered, as amberd does), Methods, calls and errors, Shutdown.
func TestPythonPlugin(t *testing.T) {
	client, mc, logs := launch(t)
	rpc, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := rpc.Ping(); err != nil {
		t.Errorf("health check (grpc.health.v1 \"plugin\"): %v", err)
	}

	d, err := mc.Describe(ctx(t))
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	major, _, _ := strings.Cut(d.SDKVersion, ".")
	if d.Name != "hello-py" || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) || major != strconv.Itoa(sdk.ProtocolVersion) {
		t.Errorf("Describe = %+v", d)
	}

	if err := mc.Configure(ctx(t), []byte(`{"colour":"red"}`)); sdk.KindOf(err) != sdk.KindInvalidArgument ||
		!strings.Contains(err.Error(), "hello-py config: colour: unknown key") {
		t.Errorf("Configure with an unknown key: %v, want invalid argument naming it", err)
	}

	host := sdktest.NewFakeHost(3)
	sh := sdk.ScriptHashOf([]byte{0x51})
	host.Balances[sh] = sdk.Balance{Confirmed: 5000, Unconfirmed: -1200}
	if err := mc.WithHost(host).Configure(ctx(t), []byte(`{}`)); err != nil {
		t.Fatalf("Configure with host services: %v", err)
	}

	specs, err := mc.Methods(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	wantSpecs := []sdk.MethodSpec{
		{Name: "hello.py_world", MinArgs: 1, MaxArgs: 1, ParamNames: []string{"name"}, Cost: 0.1},
		{Name: "hello.py_height", Cost: 0.1},
		{Name: "hello.py_balance", MinArgs: 1, MaxArgs: 1, ParamNames: []string{"scripthash"}, Cost: 0.5},
	}
	if len(specs) != len(wantSpecs) {
		t.Fatalf("Methods = %+v, want %+v", specs, wantSpecs)
	}
	for i, w := range wantSpecs {
		g := specs[i]
		if g.Name != w.Name || g.MinArgs != w.MinArgs || g.MaxArgs != w.MaxArgs || !slices.Equal(g.ParamNames, w.ParamNames) || g.Cost != w.Cost {
			t.Errorf("Methods[%d] = %+v, want %+v", i, g, w)
		}
	}

	// Host services through go-plugin's broker, dialled by amber_plugin
	// with mutual TLS.
	res, err := mc.Call(ctx(t), "hello.py_height", json.RawMessage(`[]`), sdk.SessionInfo{})
	if err != nil || string(res) != "2" {
		t.Errorf("hello.py_height = %s, %v; want 2 (the fake host's tip)", res, err)
	}
	res, err = mc.Call(ctx(t), "hello.py_balance", json.RawMessage(`["`+sh.String()+`"]`), sdk.SessionInfo{})
	if err != nil || string(res) != `{"confirmed":5000,"unconfirmed":-1200}` {
		t.Errorf("hello.py_balance = %s, %v", res, err)
	}
	host.Lock()
	calls := slices.Clone(host.Calls)
	host.Unlock()
	if !slices.Contains(calls, "Tip") || !slices.Contains(calls, "Balance") {
		t.Errorf("host calls %q, want Tip and Balance", calls)
	}
	if _, err := mc.Call(ctx(t), "hello.py_balance", json.RawMessage(`["zz"]`), sdk.SessionInfo{}); sdk.KindOf(err) != sdk.KindInvalidArgument {
		t.Errorf("hello.py_balance of a bad hash: %v, want invalid argument", err)
	}

	for _, tc := range []struct {
		params, want string
		kind         sdk.Kind
	}{
		{`["amber"]`, `"hello, amber"`, 0},
		{`["zoë"]`, `"hello, zoë"`, 0},
		{`[42]`, "", sdk.KindInvalidArgument},
		{`[null]`, "", sdk.KindInvalidArgument},
	} {
		res, err := mc.Call(ctx(t), "hello.py_world", json.RawMessage(tc.params), sdk.SessionInfo{ID: 7, Protocol: "1.4"})
		if tc.want != "" {
			if err != nil || string(res) != tc.want {
				t.Errorf("hello.py_world%s = %s, %v; want %s", tc.params, res, err, tc.want)
			}
			continue
		}
		var se *sdk.Error
		if !errors.As(err, &se) || se.Kind != tc.kind || se.Message != "name must be a string" {
			t.Errorf("hello.py_world%s = %s, %v; want kind %v \"name must be a string\"", tc.params, res, err, tc.kind)
		}
	}
	if _, err := mc.Call(ctx(t), "hello.nope", json.RawMessage(`[]`), sdk.SessionInfo{}); sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("unknown method: %v, want unimplemented", err)
	}

	t.Run("Conform", func(t *testing.T) { sdktest.ConformMethods(t, mc) })

	if err := mc.Shutdown(ctx(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	client.Kill() // GRPCController.Shutdown: the process must exit by itself
	if !client.Exited() {
		t.Errorf("the plugin process did not exit")
	}
	if strings.Contains(logs.String(), "failed to exit gracefully") {
		t.Errorf("the plugin ignored GRPCController.Shutdown and was killed")
	}
}

// TestCookieMismatchReported: started with another magic cookie, the plugin
// exits with go-plugin's refusal and the cookie it expects, which amberd
// quotes ("magic cookie mismatch").
func TestCookieMismatchReported(t *testing.T) {
	requirePython(t)
	cmd := exec.Command("./hello-plugin")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), hostside.MagicCookieKey + "=other"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out)
	}
	for _, want := range []string{"This binary is a plugin", "expects " + hostside.MagicCookieKey + "=" + hostside.MagicCookieValue} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
