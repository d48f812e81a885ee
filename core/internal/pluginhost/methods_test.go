package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// echoMethods is the method provider of the "methods" and "both" helper
// modes. Its methods:
//
//	echo.pid    the plugin's process id (tells restarts apart)
//	echo.tip    the host's tip height, read through the host services
//	echo.block  reads the host's tip, then blocks until the call ends
type echoMethods struct{ sdk.BasicPlugin }

func newEchoMethods() *echoMethods {
	return &echoMethods{BasicPlugin: sdk.BasicPlugin{Name: "echo", Version: "1.0.0"}}
}

func (e *echoMethods) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{{Name: "echo.pid", Cost: 0.1}, {Name: "echo.tip", Cost: 0.1}, {Name: "echo.block"}}, nil
}

func (e *echoMethods) Call(ctx context.Context, method string, _ json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	if method == "echo.pid" {
		return json.Marshal(os.Getpid())
	}
	host := e.Host()
	if host == nil {
		return nil, sdk.Errorf(sdk.KindUnavailable, "no host services")
	}
	tip, err := host.Tip(ctx)
	if err != nil {
		return nil, err
	}
	switch method {
	case "echo.tip":
		return json.Marshal(tip.Height)
	case "echo.block":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, sdk.Errorf(sdk.KindNotFound, "no method %s", method)
}

// serveMethods serves a methods-only plugin through sdk.Serve.
func serveMethods() {
	sdk.Serve(newEchoMethods())
}

// methodsSpec is a method-provider helper plugin offered host.
func methodsSpec(t *testing.T, host sdk.Host) Spec {
	spec := helperSpec(t, "methods")
	spec.Name = "hello"
	spec.ConfigKey = "plugins.hello.path"
	spec.Capability = sdk.CapMethodProvider
	spec.Host = host
	return spec
}

// callInt calls method and decodes an integer result.
func callInt(t *testing.T, m testMethods, method string) int64 {
	t.Helper()
	res, err := m.Call(ctx30(t), method, json.RawMessage(`[]`), sdk.SessionInfo{ID: 1, Protocol: "1.4"})
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	n, err := strconv.ParseInt(string(res), 10, 64)
	if err != nil {
		t.Fatalf("%s = %s, not an integer", method, res)
	}
	return n
}

// tipCalls counts the Tip calls the fake host has answered.
func tipCalls(h *sdktest.FakeHost) int {
	h.Lock()
	defer h.Unlock()
	n := 0
	for _, c := range h.Calls {
		if c == "Tip" {
			n++
		}
	}
	return n
}

func wantNotRunningNamed(t *testing.T, name string, err error) {
	t.Helper()
	var e *sdk.Error
	want := `plugin "` + name + `" is not running`
	if !errors.As(err, &e) || e.Kind != sdk.KindUnavailable || e.Message != want {
		t.Fatalf("call while down: %v (%T), want KindUnavailable %q", err, err, want)
	}
}

// TestMethodProviderRestart: a method-provider plugin answers calls that
// call back into the host services; a call in flight when it is killed
// and calls while it is down fail fast with "not running"; the restarted
// process is configured with the host again (a new broker connection),
// OnRestart runs, and the same Methods adapter works again.
func TestMethodProviderRestart(t *testing.T) {
	bubble(t, testMethodProviderRestart)
}

func testMethodProviderRestart(t *testing.T) {
	host := sdktest.NewFakeHost(9)
	spec := methodsSpec(t, host)
	spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 5}
	restarted := make(chan []sdk.MethodSpec, 4)
	spec.OnRestart = func(p *Plugin) {
		// What the server does: list (and register) the methods again.
		specs, err := methodsOf(p).Methods(ctx30(t))
		if err != nil {
			t.Errorf("OnRestart: Methods: %v", err)
		}
		restarted <- specs
	}
	p := launch(t, spec)
	m := methodsOf(p)
	if d := p.Describe(); d.Name != "echo" || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) {
		t.Errorf("Describe = %+v", d)
	}
	specs, err := m.Methods(ctx30(t))
	if err != nil || len(specs) != 3 || specs[0].Name != "echo.pid" || specs[0].Cost != 0.1 {
		t.Fatalf("Methods = %+v, %v", specs, err)
	}
	if pid := callInt(t, m, "echo.pid"); pid != int64(p.PID()) {
		t.Errorf("echo.pid = %d, plugin PID %d", pid, p.PID())
	}
	if h := callInt(t, m, "echo.tip"); h != 8 || tipCalls(host) != 1 {
		t.Errorf("echo.tip = %d after %d host Tip calls; want 8 after 1", h, tipCalls(host))
	}

	// A call in flight (inside the plugin, after its host callback) when
	// the process is killed.
	inflight := make(chan error, 1)
	go func() {
		_, err := m.Call(ctx30(t), "echo.block", json.RawMessage(`[]`), sdk.SessionInfo{})
		inflight <- err
	}()
	waitFor(t, "the blocking call to reach the host", func() bool { return tipCalls(host) == 2 })
	oldPID := p.PID()
	killPlugin(t, p)
	wantNotRunningNamed(t, "hello", <-inflight)
	synctest.Wait() // the supervisor is in its backoff
	_, err = m.Call(ctx30(t), "echo.tip", json.RawMessage(`[]`), sdk.SessionInfo{})
	wantNotRunningNamed(t, "hello", err)
	_, err = m.Methods(ctx30(t))
	wantNotRunningNamed(t, "hello", err)
	select {
	case <-restarted:
		t.Fatal("OnRestart called before the restart")
	default:
	}

	select {
	case specs := <-restarted:
		if len(specs) != 3 {
			t.Errorf("OnRestart listed %d methods, want 3", len(specs))
		}
	case <-time.After(time.Minute):
		t.Fatal("OnRestart not called")
	}
	if p.Restarts() != 1 || p.State() != StateRunning {
		t.Errorf("after restart: Restarts %d, State %q", p.Restarts(), p.State())
	}
	if pid := callInt(t, m, "echo.pid"); pid == int64(oldPID) || pid != int64(p.PID()) {
		t.Errorf("echo.pid = %d after restart (old %d, now %d)", pid, oldPID, p.PID())
	}
	before := tipCalls(host)
	if h := callInt(t, m, "echo.tip"); h != 8 || tipCalls(host) != before+1 {
		t.Errorf("echo.tip after restart = %d, host Tip calls %d -> %d", h, before, tipCalls(host))
	}
}

// TestMethodProviderWithoutHost: without Spec.Host the plugin gets no host
// services (and says so), but its own methods work.
func TestMethodProviderWithoutHost(t *testing.T) {
	p := launch(t, methodsSpec(t, nil))
	if pid := callInt(t, methodsOf(p), "echo.pid"); pid != int64(p.PID()) {
		t.Errorf("echo.pid = %d, PID %d", pid, p.PID())
	}
	_, err := methodsOf(p).Call(ctx30(t), "echo.tip", json.RawMessage(`[]`), sdk.SessionInfo{})
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindUnavailable || e.Message != "no host services" {
		t.Errorf("echo.tip without host: %v, want the plugin's unavailable error", err)
	}
}

// TestServeBothKinds: one process started with sdk.Serve serving a chain
// backend and a method provider: both adapters work, and the host services
// reach the method provider of a chain-backend plugin too.
func TestServeBothKinds(t *testing.T) {
	host := sdktest.NewFakeHost(3)
	spec := helperSpec(t, "both")
	spec.Host = host
	p := launch(t, spec)
	d := p.Describe()
	for _, c := range []string{sdk.CapChainBackend, sdk.CapMethodProvider} {
		if !slices.Contains(d.Capabilities, c) {
			t.Errorf("capabilities %q lack %q", d.Capabilities, c)
		}
	}
	if tip, err := chainOf(p).Tip(ctx30(t)); err != nil || tip.Height != 4 {
		t.Errorf("chain Tip = %+v, %v; want the fake chain's height 4", tip, err)
	}
	if h := callInt(t, methodsOf(p), "echo.tip"); h != 2 {
		t.Errorf("echo.tip = %d, want the host's height 2", h)
	}
}

// TestMethodsOfChainOnlyPlugin: the Methods adapter of a plugin that serves
// no method provider answers KindUnimplemented, not a crash.
func TestMethodsOfChainOnlyPlugin(t *testing.T) {
	p := launch(t, helperSpec(t, "serve"))
	_, err := methodsOf(p).Methods(ctx30(t))
	if sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("Methods of a chain-only plugin: %v (kind %v), want unimplemented", err, sdk.KindOf(err))
	}
	if p.Exited() {
		t.Error("the plugin exited")
	}
}

// TestCapabilityRefused: a spec that requires a capability the plugin does
// not list is refused, naming the missing capability and what it lists.
func TestCapabilityRefused(t *testing.T) {
	tests := []struct {
		name, mode, capability string
		want                   []string
	}{
		{"methods-only for a chain backend", "methods", sdk.CapChainBackend,
			[]string{`plugin "bitcoind" (echo 1.0.0) does not offer the "chain-backend" capability`, `["method-provider"]`}},
		{"chain-only for a method provider", "serve", sdk.CapMethodProvider,
			[]string{`plugin "bitcoind"`, `does not offer the "method-provider" capability`, `"chain-backend"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := helperSpec(t, tt.mode)
			spec.Capability = tt.capability
			p, err := Launch(ctx30(t), spec)
			if err == nil {
				p.Kill()
				t.Fatal("Launch succeeded")
			}
			if !isRefusal(err) {
				t.Errorf("error %v is not a refusal (a restart would retry it)", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}
