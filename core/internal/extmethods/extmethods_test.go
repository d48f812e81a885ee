package extmethods

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// newPlugins registers into the registry of a core without index or
// daemon.
func newPlugins() *Plugins {
	return New(Options{Registry: electrum.New(electrum.Options{}).Registry()})
}

type specs []sdk.MethodSpec

func (s specs) Methods(context.Context) ([]sdk.MethodSpec, error) { return s, nil }

// specs' lifecycle (every sdk role embeds sdk.Lifecycle).
func (specs) Describe(context.Context) (sdk.Description, error) { return sdk.Description{}, nil }
func (specs) Configure(context.Context, []byte) error           { return nil }
func (specs) Shutdown(context.Context) error                    { return nil }
func (s specs) Call(context.Context, string, json.RawMessage, sdk.SessionInfo) (json.RawMessage, error) {
	return json.RawMessage(`"ok"`), nil
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name  string
		first specs // registered as plugin "a" beforehand
		add   specs // registered as plugin "b"
		want  []string
	}{
		{name: "ok", add: specs{{Name: "b.x"}, {Name: "b.y", MaxArgs: 1}}},
		{name: "core", add: specs{{Name: "server.ping"}}, want: []string{`plugin "b" declares method "server.ping" in the core's reserved namespace "server."`}},
		{name: "namespace", add: specs{{Name: "b.x"}, {Name: "blockchain.b.x"}, {Name: "mempool.b"}}, want: []string{
			`plugin "b" declares method "blockchain.b.x" in the core's reserved namespace "blockchain."`,
			`plugin "b" declares method "mempool.b" in the core's reserved namespace "mempool."`}},
		{name: "slot", add: specs{{Name: "blockchain.transaction.bmm_merkle", MinArgs: 2, MaxArgs: 2}}},
		{name: "twice", add: specs{{Name: "b.x"}, {Name: "b.x"}}, want: []string{`plugin "b" declares method "b.x" twice`}},
		{name: "conflict", first: specs{{Name: "shared.x"}}, add: specs{{Name: "shared.x"}}, want: []string{`plugin "a" and plugin "b" both declare method "shared.x"`}},
		{name: "malformed", add: specs{{Name: "nodot"}, {Name: "b.x", MinArgs: 2, MaxArgs: 1}}, want: []string{`plugin "b": method name "nodot" is not namespaced`, `plugin "b": b.x: bad arity`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newPlugins()
			if tt.first != nil {
				if err := d.Register(t.Context(), "a", tt.first); err != nil {
					t.Fatal(err)
				}
			}
			before := d.Methods()
			err := d.Register(t.Context(), "b", tt.add)
			if len(tt.want) == 0 {
				if err != nil || len(d.Methods()) != len(before)+len(tt.add) {
					t.Fatalf("Register = %v, methods %v", err, d.Methods())
				}
				return
			}
			if err == nil {
				t.Fatalf("Register succeeded, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Register error %q lacks %q", err, w)
				}
			}
			if got := d.Methods(); !slices.EqualFunc(got, before, func(a, b Method) bool { return a.Spec.Name == b.Spec.Name && a.Plugin == b.Plugin }) {
				t.Errorf("a failed Register changed the routes: %v", got)
			}
		})
	}
}

// TestReRegister: registering a plugin again replaces its methods;
// Unregister removes them and frees the names.
func TestReRegister(t *testing.T) {
	d := newPlugins()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Register(t.Context(), "a", specs{{Name: "a.x"}, {Name: "a.y"}}))
	must(d.Register(t.Context(), "a", specs{{Name: "a.y"}, {Name: "a.z"}}))
	names := func() (out []string) {
		for _, m := range d.Methods() {
			out = append(out, m.Plugin+":"+m.Spec.Name)
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{"a:a.y", "a:a.z"}) {
		t.Errorf("after re-register: %v", got)
	}
	d.Unregister("a")
	must(d.Register(t.Context(), "b", specs{{Name: "a.z"}}))
	if got := names(); !slices.Equal(got, []string{"b:a.z"}) {
		t.Errorf("after unregister: %v", got)
	}
	if err := d.Register(t.Context(), "c", failing{}); err == nil || !strings.Contains(err.Error(), `plugin "c": list methods: gone`) {
		t.Errorf("Register(failing) = %v", err)
	}
}

type failing struct{ specs }

func (failing) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return nil, sdk.Errorf(sdk.KindUnavailable, "gone")
}

// TestErrorTable: every kind of the SDK table maps to its Electrum code
// with the plugin's message; internal errors stay plain errors.
func TestErrorTable(t *testing.T) {
	for _, k := range hostside.KindTable() {
		perr := &sdk.Error{Kind: k.Kind, Message: "msg " + k.Name, DaemonCode: -5, DaemonMessage: "dmsg"}
		err := rpcError("p", "p.m", perr)
		var je *jsonrpc.Error
		if k.ElectrumCode == jsonrpc.InternalError {
			if errors.As(err, &je) || !strings.Contains(err.Error(), "msg "+k.Name) {
				t.Errorf("%s: %v (%T), want a plain error", k.Name, err, err)
			}
			continue
		}
		if !errors.As(err, &je) || je.Code != k.ElectrumCode || je.Message != perr.Error() {
			t.Errorf("%s: %v, want code %d with the plugin's message", k.Name, err, k.ElectrumCode)
		}
	}
}
