package extmethods

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

type specs []sdk.MethodSpec

func (s specs) Methods(context.Context) ([]sdk.MethodSpec, error) { return s, nil }
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
		{name: "core", add: specs{{Name: "server.ping"}}, want: []string{`plugin "b" declares method "server.ping", which is a core method`}},
		{name: "twice", add: specs{{Name: "b.x"}, {Name: "b.x"}}, want: []string{`plugin "b" declares method "b.x" twice`}},
		{name: "conflict", first: specs{{Name: "shared.x"}}, add: specs{{Name: "shared.x"}}, want: []string{`plugin "a" and plugin "b" both declare method "shared.x"`}},
		{name: "malformed", add: specs{{Name: "nodot"}, {Name: "b.x", MinArgs: 2, MaxArgs: 1}}, want: []string{`plugin "b": method name "nodot" is not namespaced`, `plugin "b": b.x: bad arity`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := New(Options{Inner: nil, CoreMethods: []string{"server.ping", "server.version"}})
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
	d := New(Options{})
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

func TestPositional(t *testing.T) {
	named := newRoute("p", sdk.MethodSpec{Name: "p.m", MinArgs: 1, MaxArgs: 3, ParamNames: []string{"a", "b", "c"}}, nil)
	plain := newRoute("p", sdk.MethodSpec{Name: "p.m", MinArgs: 1, MaxArgs: 2}, nil)
	tests := []struct {
		r      *route
		params string
		want   string
		code   int
	}{
		{named, `[1]`, `[1]`, 0},
		{named, `[1, "x", null]`, `[1,"x",null]`, 0},
		{named, `{"a": 1, "c": 3}`, `[1,null,3]`, 0},
		{named, `{"b": 2, "a": 1}`, `[1,2]`, 0},
		{named, `{"b": 2}`, ``, jsonrpc.InvalidParams},
		{named, `{"a": 1, "d": 2}`, ``, jsonrpc.InvalidParams},
		{named, `[1,2,3,4]`, ``, jsonrpc.InvalidParams},
		{named, `[]`, ``, jsonrpc.InvalidParams},
		{plain, `[true, {"k": [1]}]`, `[true,{"k": [1]}]`, 0},
		{plain, `{"arg0": 1}`, ``, jsonrpc.InvalidParams},
		{plain, `"str"`, ``, jsonrpc.InvalidRequest},
		{plain, `null`, ``, jsonrpc.InvalidParams},
	}
	for _, tt := range tests {
		got, jerr := positional(tt.r, json.RawMessage(tt.params))
		switch {
		case tt.code != 0 && (jerr == nil || jerr.Code != tt.code):
			t.Errorf("positional(%s) = %s, %v; want code %d", tt.params, got, jerr, tt.code)
		case tt.code == 0 && (jerr != nil || string(got) != tt.want):
			t.Errorf("positional(%s) = %s, %v; want %s", tt.params, got, jerr, tt.want)
		}
	}
}

// TestErrorTable: every kind of the SDK table maps to its Electrum code
// with the plugin's message; internal errors stay plain errors.
func TestErrorTable(t *testing.T) {
	d := New(Options{})
	r := newRoute("p", sdk.MethodSpec{Name: "p.m"}, nil)
	for _, k := range sdk.KindTable() {
		perr := &sdk.Error{Kind: k.Kind, Message: "msg " + k.Name, DaemonCode: -5, DaemonMessage: "dmsg"}
		err := d.rpcError(r, perr)
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

// TestCallDirect: protocol gate, cost, session info, arity through call.
func TestCallDirect(t *testing.T) {
	d := New(Options{})
	if err := d.Register(t.Context(), "calc", newCalc()); err != nil {
		t.Fatal(err)
	}
	routes := *d.routes.Load()
	s := &fakeSess{}
	if _, err := d.call(t.Context(), s, routes["calc.new"], nil); !isCode(err, jsonrpc.MethodNotFound) {
		t.Errorf("calc.new before server.version = %v, want -32601", err)
	}
	s.protocol = "1.4.1"
	if _, err := d.call(t.Context(), s, routes["calc.new"], nil); !isCode(err, jsonrpc.MethodNotFound) {
		t.Errorf("calc.new at 1.4.1 = %v, want -32601", err)
	}
	s.protocol = "1.4.2"
	res, err := d.call(t.Context(), s, routes["calc.new"], nil)
	if err != nil || string(res.(json.RawMessage)) != `{"ID":7,"Protocol":"1.4.2","RemoteAddr":"127.0.0.1:9"}` {
		t.Errorf("calc.new at 1.4.2 = %s, %v", res, err)
	}
	before := s.cost
	if res, err := d.call(t.Context(), s, routes["calc.add"], json.RawMessage(`{"a":1,"b":2.5}`)); err != nil || string(res.(json.RawMessage)) != "3.5" {
		t.Errorf("calc.add = %v, %v", res, err)
	}
	if s.cost-before != 2.5 {
		t.Errorf("cost charged %v, want 2.5", s.cost-before)
	}
}

func isCode(err error, code int) bool {
	var je *jsonrpc.Error
	return errors.As(err, &je) && je.Code == code
}
