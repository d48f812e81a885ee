package electrum

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

func TestMethodNamesCoverEveryVersion(t *testing.T) {
	names := MethodNames()
	if !slices.IsSorted(names) {
		t.Error("MethodNames is not sorted")
	}
	for _, want := range []string{
		"server.version", "blockchain.relayfee", // 1.4 only
		"blockchain.scripthash.unsubscribe",        // 1.4.2+
		"blockchain.transaction.broadcast_package", // 1.6
		"blockchain.address.get_history",           // removed in 1.3/1.4: still reserved
	} {
		if _, ok := slices.BinarySearch(names, want); !ok {
			t.Errorf("MethodNames lacks %q", want)
		}
	}
	if _, ok := slices.BinarySearch(names, "hello.world"); ok {
		t.Error("MethodNames lists a plugin method")
	}
}

// TestRegistryEntries: every core entry is well formed (as a plugin's
// MethodSpec must be), lies in a reserved namespace, carries a cost rule
// and a result, and no two entries of one name overlap in version.
func TestRegistryEntries(t *testing.T) {
	for i, m := range coreMethods {
		spec := sdk.MethodSpec{Name: m.Name, MinArgs: m.Required, MaxArgs: len(m.Params), ParamNames: m.Params}
		if err := spec.Validate(); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		if !sdk.IsReserved(m.Name) {
			t.Errorf("%s is outside the reserved namespaces", m.Name)
		}
		if m.Cost.Of == nil || m.Cost.Rule == "" || m.Result == "" || m.handler == nil {
			t.Errorf("%s: incomplete entry (cost rule, result and handler are required)", m.Name)
		}
		for _, o := range coreMethods[i+1:] {
			if o.Name != m.Name {
				continue
			}
			for _, v := range []Version{ProtocolMin, {1, 4, 2}, {1, 5}, {1, 6}, ProtocolMax} {
				if m.serves(v) && o.serves(v) {
					t.Errorf("%s: two entries serve %s", m.Name, v)
				}
			}
		}
	}
}

// TestCostRules pins the cost table: the fixed costs and the per-unit
// rules for a few unit values (the golden tests check them end to end).
func TestCostRules(t *testing.T) {
	cost := func(name string, v Version, u units) float64 {
		m, ok := tableFor(v).methods[name]
		if !ok {
			t.Fatalf("%s not in the %s table", name, v)
		}
		return m.cost.Of(u)
	}
	v14, v16 := Version{1, 4}, Version{1, 6}
	tests := []struct {
		name string
		v    Version
		u    units
		want float64
	}{
		{"server.version", v14, units{}, 0.5},
		{"server.add_peer", v14, units{}, 100},
		{"blockchain.block.header", v14, units{}, 0.25},
		{"blockchain.block.header", v14, units{Proof: true}, 1.25},
		{"blockchain.block.headers", v14, units{N: 100}, 2},
		{"blockchain.block.headers", v16, units{N: 100, Proof: true}, 3},
		{"blockchain.estimatefee", v14, units{}, 0.1},
		{"blockchain.estimatefee", v14, units{Miss: true}, 2},
		{"blockchain.scripthash.get_history", v14, units{Lookup: 0.5, N: 5}, 0.5 + 0.25 + 0.1},
		{"blockchain.scripthash.get_balance", v14, units{N: 50}, 2},
		{"blockchain.transaction.broadcast", v14, units{N: 5000}, 1.25},
		{"blockchain.transaction.get_merkle", v14, units{Lookup: 0.3}, 0.3},
		{"mempool.get_info", v16, units{}, 1},
	}
	for _, tt := range tests {
		if got := cost(tt.name, tt.v, tt.u); got != tt.want {
			t.Errorf("%s %+v = %v, want %v", tt.name, tt.u, got, tt.want)
		}
	}
	if historyCost(true, 1000) != 0.1 || historyCost(false, 0) != 0.1+0.1 || merkleCost(2500, false) != 1 {
		t.Error("component costs changed")
	}
}

// TestNoCostLiteralInHandlers: the handlers charge through their registry
// entry (call.charge) or a component rule of costs.go; no AddCost call
// outside those carries a number literal.
func TestNoCostLiteralInHandlers(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "costs.go" || name == "methodtable.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := c.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "AddCost" {
				return true
			}
			ast.Inspect(c, func(a ast.Node) bool {
				if lit, ok := a.(*ast.BasicLit); ok && (lit.Kind == token.FLOAT || lit.Kind == token.INT) {
					t.Errorf("%s: AddCost with the literal %s: put the rule in the registry", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
			return true
		})
	}
}

func TestPositional(t *testing.T) {
	named := newPluginRoute("p", sdk.MethodSpec{Name: "p.m", MinArgs: 1, MaxArgs: 3, ParamNames: []string{"a", "b", "c"}}, nil)
	plain := newPluginRoute("p", sdk.MethodSpec{Name: "p.m", MinArgs: 1, MaxArgs: 2}, nil)
	tests := []struct {
		r      *pluginRoute
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

// TestRegisterReserved: the core's namespaces are closed to plugins,
// whether or not the core serves the name; the error names the plugin and
// the method; a plugin slot and other namespaces are open.
func TestRegisterReserved(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"server.ping", false},                        // a core method
		{"server.shutdown", false},                    // no core method, core namespace
		{"blockchain.scripthash.get_history2", false}, // ditto
		{"blockchain.address.get_history", false},     // removed core method
		{"mempool.get_everything", false},
		{"blockchain.transaction.bmm_merkle", true}, // a plugin slot
		{"amber.scripthash.get_history_page", true},
		{"feeest.estimatefee", true},
		{"serverx.ping", true},
	}
	for _, tt := range tests {
		reg := newRegistry()
		err := reg.Register("p", []sdk.MethodSpec{{Name: "p.ok"}, {Name: tt.name}}, nil)
		if tt.ok {
			if err != nil || len(reg.PluginMethods()) != 2 {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), `plugin "p" declares method "`+tt.name+`" in the core's reserved namespace`) {
			t.Errorf("%s: Register = %v, want the reserved-namespace error", tt.name, err)
		}
		if len(reg.PluginMethods()) != 0 {
			t.Errorf("%s: a refused Register routed %v", tt.name, reg.PluginMethods())
		}
	}
}

// TestPluginMethodCall: a plugin method goes through the same Handle as
// the core's: server.version first, the spec's minimum protocol, arity,
// the declared cost and the session info.
func TestPluginMethodCall(t *testing.T) {
	srv, _, _ := newFixture(t)
	var got []string
	call := func(_ context.Context, method string, args json.RawMessage, info sdk.SessionInfo) (any, error) {
		got = append(got, method+" "+string(args))
		if method == "calc.fail" {
			return nil, errors.New("boom")
		}
		return info, nil
	}
	if err := srv.Registry().Register("calc", []sdk.MethodSpec{
		{Name: "calc.add", MinArgs: 2, MaxArgs: 3, ParamNames: []string{"a", "b", "c"}, Cost: 2.5},
		{Name: "calc.new", MinProtocol: "1.4.2"},
		{Name: "calc.fail"},
	}, call); err != nil {
		t.Fatal(err)
	}

	fresh := &fakeSess{fresh: true}
	if _, jerr := do(t, srv, fresh, "calc.add", `[1, 2]`); jerr == nil || jerr.Message != "use server.version to identify client" || !fresh.closeAfter {
		t.Errorf("plugin method before server.version: %+v", jerr)
	}
	s14 := negotiated(t, srv, "1.4")
	if _, jerr := do(t, srv, s14, "calc.new", `[]`); jerr == nil || jerr.Code != jsonrpc.MethodNotFound {
		t.Errorf("calc.new at 1.4: %+v", jerr)
	}
	if _, jerr := do(t, srv, s14, "calc.add", `[1]`); jerr == nil || jerr.Code != jsonrpc.InvalidParams {
		t.Errorf("calc.add with one argument: %+v", jerr)
	}
	if c := s14.takeCost(); c != 0 {
		t.Errorf("refused calls charged %v", c)
	}
	if res, jerr := do(t, srv, s14, "calc.add", `{"b": 2, "a": 1}`); jerr != nil || res != `{"ID":0,"Protocol":"1.4","RemoteAddr":"127.0.0.1:1"}` {
		t.Errorf("calc.add = %s, %+v", res, jerr)
	}
	if c := s14.takeCost(); c != 2.5 {
		t.Errorf("calc.add charged %v, want its declared 2.5", c)
	}
	s142 := negotiated(t, srv, "1.4.2")
	if res, jerr := do(t, srv, s142, "calc.new", ``); jerr != nil || !strings.Contains(res, `"Protocol":"1.4.2"`) {
		t.Errorf("calc.new at 1.4.2 = %s, %+v", res, jerr)
	}
	if _, err := handlerOf(srv, s142).Handle(t.Context(), "calc.fail", nil); err == nil || err.Error() != "boom" {
		t.Errorf("calc.fail = %v, want the plugin call's error unchanged", err)
	}
	if want := []string{`calc.add [1,2]`, `calc.new []`, `calc.fail []`}; !slices.Equal(got, want) {
		t.Errorf("plugin calls %q, want %q", got, want)
	}
	srv.Registry().Unregister("calc")
	if _, jerr := do(t, srv, s142, "calc.new", ``); jerr == nil || jerr.Code != jsonrpc.MethodNotFound {
		t.Errorf("calc.new after Unregister: %+v", jerr)
	}
}
