package sdktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// testPlugin is a method provider exercising every path of the wire.
type testPlugin struct {
	sdk.BasicPlugin
	mu    sync.Mutex
	order []string // SetHost / Configure calls, in order
}

func newTestPlugin() *testPlugin {
	return &testPlugin{BasicPlugin: sdk.BasicPlugin{Name: "test", Version: "1.2.3"}}
}

func (p *testPlugin) record(s string) { p.mu.Lock(); p.order = append(p.order, s); p.mu.Unlock() }

func (p *testPlugin) SetHost(h sdk.Host) { p.record("SetHost"); p.BasicPlugin.SetHost(h) }

func (p *testPlugin) Configure(_ context.Context, cfg []byte) error {
	p.record("Configure " + string(cfg))
	var c struct{ Greeting *string }
	if err := json.Unmarshal(cfg, &c); err != nil || c.Greeting == nil {
		return sdk.Errorf(sdk.KindInvalidArgument, "plugins.test.config.greeting: required")
	}
	return nil
}

var testSpecs = []sdk.MethodSpec{
	{Name: "test.echo", MinArgs: 0, MaxArgs: 3, Cost: 0.5},
	{Name: "test.fail", MinArgs: 1, MaxArgs: 1, ParamNames: []string{"kind"}, Cost: 1, MinProtocol: "1.4.2"},
	{Name: "test.panic"},
	{Name: "test.badjson"},
	{Name: "test.nil"},
	{Name: "test.session"},
	{Name: "test.host", MinArgs: 1, MaxArgs: 1},
}

func (p *testPlugin) Methods(context.Context) ([]sdk.MethodSpec, error) { return testSpecs, nil }

func (p *testPlugin) Call(ctx context.Context, method string, params json.RawMessage, s sdk.SessionInfo) (json.RawMessage, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "params: %w", err)
	}
	switch method {
	case "test.echo":
		return params, nil
	case "test.fail":
		var k int32
		if err := json.Unmarshal(args[0], &k); err != nil {
			return nil, sdk.Errorf(sdk.KindInvalidArgument, "kind must be an integer")
		}
		return nil, &sdk.Error{Kind: sdk.Kind(k), Message: fmt.Sprintf("failed with kind %d", k)}
	case "test.panic":
		panic("boom")
	case "test.badjson":
		return json.RawMessage("{not json"), nil
	case "test.nil":
		return nil, nil
	case "test.session":
		return json.Marshal(s)
	case "test.host":
		return p.useHost(ctx, args[0])
	}
	return nil, sdk.Errorf(sdk.KindUnimplemented, "no method %s", method)
}

// hostReport is what test.host found through the host services.
type hostReport struct {
	Tip       int64
	Headers   int
	History   []sdk.Hash
	Pages     int
	Unspent   int
	MerklePos int
	Root      sdk.Hash
}

// useHost calls every host service during a method call.
func (p *testPlugin) useHost(ctx context.Context, arg json.RawMessage) (json.RawMessage, error) {
	h := p.Host()
	if h == nil {
		return nil, sdk.Errorf(sdk.KindUnavailable, "no host services")
	}
	var shHex string
	if err := json.Unmarshal(arg, &shHex); err != nil {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "script hash must be a string")
	}
	sh, err := sdk.ParseHash(shHex)
	if err != nil {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "%w", err)
	}
	var r hostReport
	tip, err := h.Tip(ctx)
	if err != nil {
		return nil, err
	}
	r.Tip = tip.Height
	hs, err := h.Headers(ctx, 0, 1<<20)
	if err != nil {
		return nil, err
	}
	r.Headers = len(hs)
	for cursor := ""; ; {
		es, next, err := h.History(ctx, sh, cursor, 2)
		if err != nil {
			return nil, err
		}
		r.Pages++
		for _, e := range es {
			r.History = append(r.History, e.TxHash)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	us, err := h.Unspent(ctx, sh)
	if err != nil {
		return nil, err
	}
	r.Unspent = len(us)
	if len(r.History) > 0 {
		m, err := h.TxMerkle(ctx, r.History[len(r.History)-1], 1)
		if err != nil {
			return nil, err
		}
		r.MerklePos, r.Root = m.Pos, m.Root
	}
	return json.Marshal(r)
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// goodPlugin is testPlugin without its deliberately broken methods.
type goodPlugin struct{ *testPlugin }

func (g goodPlugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return slices.DeleteFunc(slices.Clone(testSpecs), func(m sdk.MethodSpec) bool {
		return m.Name == "test.panic" || m.Name == "test.badjson"
	}), nil
}

func TestConformMethods(t *testing.T) {
	t.Run("direct", func(t *testing.T) { sdktest.ConformMethods(t, goodPlugin{newTestPlugin()}) })
	t.Run("wire", func(t *testing.T) { sdktest.ConformMethods(t, sdktest.NewMethods(t, goodPlugin{newTestPlugin()})) })
}

// TestMethodsCall: results, errors by kind, panics, bad JSON and session
// info cross the wire as the contract says.
func TestMethodsCall(t *testing.T) {
	c := sdktest.NewMethods(t, newTestPlugin())
	sess := sdk.SessionInfo{ID: 42, Protocol: "1.4.2", RemoteAddr: "127.0.0.1:1234"}
	specs, err := c.Methods(ctx10(t))
	if err != nil || len(specs) != len(testSpecs) {
		t.Fatalf("Methods = %d specs, %v; want %d", len(specs), err, len(testSpecs))
	}
	for i := range specs {
		if fmt.Sprint(specs[i]) != fmt.Sprint(testSpecs[i]) {
			t.Errorf("spec %d = %+v, want %+v", i, specs[i], testSpecs[i])
		}
	}
	tests := []struct {
		method, params string
		want           string   // result, when no error
		kind           sdk.Kind // error kind, when wantErr
		wantErr        bool
		msg            string // substring of the error message
	}{
		{method: "test.echo", params: `[1,"two",{"3":null}]`, want: `[1,"two",{"3":null}]`},
		{method: "test.nil", params: `[]`, want: `null`},
		{method: "test.fail", params: `[4]`, wantErr: true, kind: sdk.KindInvalidArgument, msg: "failed with kind 4"},
		{method: "test.fail", params: `[5]`, wantErr: true, kind: sdk.KindNotFound, msg: "failed with kind 5"},
		{method: "test.fail", params: `["x"]`, wantErr: true, kind: sdk.KindInvalidArgument, msg: "kind must be an integer"},
		{method: "test.panic", params: `[]`, wantErr: true, kind: sdk.KindInternal, msg: "panic in method test.panic: boom"},
		{method: "test.badjson", params: `[]`, wantErr: true, kind: sdk.KindInternal, msg: "malformed result for test.badjson"},
		{method: "test.session", params: `[]`, want: `{"ID":42,"Protocol":"1.4.2","RemoteAddr":"127.0.0.1:1234"}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.params, func(t *testing.T) {
			res, err := c.Call(ctx10(t), tt.method, json.RawMessage(tt.params), sess)
			if tt.wantErr {
				if err == nil || sdk.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("Call = %s, %v (kind %v); want kind %v containing %q", res, err, sdk.KindOf(err), tt.kind, tt.msg)
				}
				return
			}
			if err != nil || string(res) != tt.want {
				t.Fatalf("Call = %s, %v; want %s", res, err, tt.want)
			}
		})
	}
}

// TestLifecycle: Describe gains the capability and SDK version; a bad
// configuration fails with the plugin's message; host services reach the
// plugin before Configure.
func TestLifecycle(t *testing.T) {
	p := newTestPlugin()
	c := sdktest.NewMethods(t, p, sdktest.WithHost(sdktest.NewFakeHost(2)))
	d, err := c.Describe(ctx10(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "test" || d.Version != "1.2.3" || d.SDKVersion != sdk.Version || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) {
		t.Errorf("Describe = %+v", d)
	}
	err = c.Configure(ctx10(t), []byte(`{}`))
	if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), "plugins.test.config.greeting") {
		t.Errorf("Configure({}) = %v, want invalid-argument naming the key", err)
	}
	if err := c.Configure(ctx10(t), []byte(`{"greeting":"hi"}`)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	p.mu.Lock()
	got := slices.Clone(p.order)
	p.mu.Unlock()
	want := []string{"SetHost", "Configure {}", `Configure {"greeting":"hi"}`}
	if !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q (one host connection, before Configure)", got, want)
	}
	if err := c.Shutdown(ctx10(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestHostRoundTrip: a method call that calls every host service through
// the broker gets the host's data.
func TestHostRoundTrip(t *testing.T) {
	host := sdktest.NewFakeHost(4)
	sh := sdk.ScriptHashOf([]byte{0x51})
	var txids []sdk.Hash
	for i := range 5 {
		txid := sdktest.DoubleSHA256([]byte{byte(i)})
		txids = append(txids, txid)
		host.Histories[sh] = append(host.Histories[sh], sdk.HistoryEntry{TxHash: txid, Height: int64(1 + i/3)})
	}
	host.UTXOs[sh] = []sdk.UTXO{{TxHash: txids[0], TxPos: 1, Height: 1, Value: 5000}}
	host.BlockTxs[1] = []sdk.Hash{sdktest.DoubleSHA256([]byte("coinbase")), txids[1], txids[4]}

	c := sdktest.NewMethods(t, newTestPlugin(), sdktest.WithHost(host))
	if err := c.Configure(ctx10(t), []byte(`{"greeting":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	arg, _ := json.Marshal([]string{sh.String()})
	res, err := c.Call(ctx10(t), "test.host", arg, sdk.SessionInfo{})
	if err != nil {
		t.Fatalf("test.host: %v", err)
	}
	var r struct {
		Tip       int64
		Headers   int
		History   []sdk.Hash
		Pages     int
		Unspent   int
		MerklePos int
		Root      sdk.Hash
	}
	if err := json.Unmarshal(res, &r); err != nil {
		t.Fatal(err)
	}
	_, root := sdktest.MerkleBranch(host.BlockTxs[1], 2)
	if r.Tip != 3 || r.Headers != 4 || !slices.Equal(r.History, txids) || r.Pages != 3 || r.Unspent != 1 || r.MerklePos != 2 || r.Root != root {
		t.Errorf("host report = %+v; want tip 3, 4 headers, 5 history entries in 3 pages, 1 utxo, merkle pos 2 root %s", r, root)
	}

	// Errors from the host keep their kind on the way back to the plugin
	// and from the plugin to the host.
	arg, _ = json.Marshal([]string{sdk.ScriptHashOf([]byte{0x52}).String()})
	host.Lock()
	host.Histories[sdk.ScriptHashOf([]byte{0x52})] = []sdk.HistoryEntry{{TxHash: txids[0], Height: 1}}
	host.Unlock()
	if _, err := c.Call(ctx10(t), "test.host", arg, sdk.SessionInfo{}); sdk.KindOf(err) != sdk.KindNotFound {
		t.Errorf("test.host with a tx not in block 1: %v, want kind not-found", err)
	}
}

// hostOf serves p with host (NewMethods, WithHost) and returns the
// plugin-side Host after configuring it.
func hostOf(t *testing.T, p *testPlugin, host sdk.Host) sdk.Host {
	t.Helper()
	c := sdktest.NewMethods(t, p, sdktest.WithHost(host))
	if err := c.Configure(ctx10(t), []byte(`{"greeting":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	h := p.Host()
	if h == nil {
		t.Fatal("SetHost was not called")
	}
	return h
}

// TestHostEvents: the event stream starts with the tip, delivers published
// blocks in order, and ends (releasing the host side) when the plugin
// cancels it.
func TestHostEvents(t *testing.T) {
	fake := sdktest.NewFakeHost(3)
	p := newTestPlugin()
	h := hostOf(t, p, fake)

	ctx, cancel := context.WithCancel(ctx10(t))
	defer cancel()
	got := make(chan sdk.BlockEvent, 8)
	done := make(chan error, 1)
	go func() {
		done <- h.Events(ctx, func(ev sdk.BlockEvent) error { got <- ev; return nil })
	}()
	first := <-got
	if first.Height != 2 || first.Hash != fake.Chain[2].Hash || len(first.Header) != 80 {
		t.Fatalf("first event = height %d hash %s, want the tip (2, %s)", first.Height, first.Hash, fake.Chain[2].Hash)
	}
	var want []sdk.BlockEvent
	for i := range 3 {
		want = append(want, fake.Publish([]byte(fmt.Sprintf("header %d", i))))
	}
	for i, w := range want {
		ev := <-got
		if ev.Height != w.Height || ev.Hash != w.Hash || string(ev.Header) != string(w.Header) {
			t.Errorf("event %d = %d %s, want %d %s", i, ev.Height, ev.Hash, w.Height, w.Hash)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Events after cancel = %v, want context.Canceled", err)
	}
	for fake.Subscribers() != 0 {
		select {
		case <-t.Context().Done():
			t.Fatal("host-side Events did not end")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestHostStopsYield: an error from yield ends Events with that error.
func TestHostStopsYield(t *testing.T) {
	p := newTestPlugin()
	h := hostOf(t, p, sdktest.NewFakeHost(1))
	stop := errors.New("stop")
	if err := h.Events(ctx10(t), func(sdk.BlockEvent) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Events = %v, want the yield error", err)
	}
}

// TestChainAndMethods: one process serves both kinds with one lifecycle.
func TestChainAndMethods(t *testing.T) {
	chain := sdktest.NewFake(3)
	p := sdktest.NewPlugin(t, chainAndMethods{chain, goodPlugin{newTestPlugin()}})
	if p.Chain == nil || p.Methods == nil {
		t.Fatalf("adapters = %+v, want both", p)
	}
	d, err := p.Methods.Describe(ctx10(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "fake" || !slices.Contains(d.Capabilities, sdk.CapChainBackend) || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) {
		t.Errorf("Describe = %+v, want the chain's lifecycle with both capabilities", d)
	}
	sdktest.ConformChain(t, p.Chain)
	sdktest.ConformMethods(t, p.Methods)
}

// TestPluginSetErrors: a plugin that serves no role is refused with a
// clear error.
func TestPluginSetErrors(t *testing.T) {
	for name, p := range map[string]sdk.Lifecycle{"lifecycle only": &sdk.BasicPlugin{}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			if _, err := sdktest.PluginSet(p); err == nil || !strings.Contains(err.Error(), "serves no role") && !strings.Contains(err.Error(), "nothing to serve") {
				t.Errorf("PluginSet = %v, want an error saying there is nothing to serve", err)
			}
		})
	}
}

// chainAndMethods serves a chain backend and a method provider in one
// process, with the chain's lifecycle.
type chainAndMethods struct {
	*sdktest.Fake
	methods sdk.MethodProvider
}

func (c chainAndMethods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return c.methods.Methods(ctx)
}

func (c chainAndMethods) Call(ctx context.Context, method string, params json.RawMessage, s sdk.SessionInfo) (json.RawMessage, error) {
	return c.methods.Call(ctx, method, params, s)
}

// TestNewMethodsWithoutHost: without WithHost the plugin is configured but
// gets no host services.
func TestNewMethodsWithoutHost(t *testing.T) {
	p := newTestPlugin()
	if err := sdktest.NewMethods(t, p).Configure(ctx10(t), []byte(`{"greeting":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	if p.Host() != nil {
		t.Error("the plugin received a host without WithHost")
	}
}
