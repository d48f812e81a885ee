package roles

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

var (
	chainCaps  = []string{sdk.CapChainBackend, sdk.CapVerboseTx, sdk.CapEstimateSmartFee}
	methodCaps = []string{sdk.CapMethodProvider}
	feeCaps    = []string{sdk.CapFeeEstimator, sdk.CapMethodProvider}
)

// TestAssign: roles follow the declared capabilities, whatever the config
// names; duplicates of a single-instance role, no chain backend and a
// plugin with no role stop start-up with errors naming the plugins.
func TestAssign(t *testing.T) {
	tests := []struct {
		name    string
		plugins []Plugin
		want    map[string]string // plugin -> Label
		chain   string
		errs    []string // substrings of the error; nil: no error
	}{
		{"bundled default", []Plugin{{"bitcoind", "/opt/amber/amber-bitcoind", chainCaps}},
			map[string]string{"bitcoind": "chain"}, "bitcoind", nil},
		{"renamed chain block", []Plugin{
			{"history", "/opt/amber/amber-history", methodCaps},
			{"mydaemon", "/opt/amber/amber-bitcoind", chainCaps},
		}, map[string]string{"history": "methods", "mydaemon": "chain"}, "mydaemon", nil},
		{"fee estimator and methods", []Plugin{
			{"a", "/bin/a", chainCaps}, {"fees", "/bin/fees", feeCaps}, {"h1", "/bin/h1", methodCaps}, {"h2", "/bin/h2", methodCaps},
		}, map[string]string{"a": "chain", "fees": "fees,methods", "h1": "methods", "h2": "methods"}, "a", nil},
		{"chain backend that also serves methods", []Plugin{
			{"node", "/bin/node", append(slices.Clone(chainCaps), sdk.CapMethodProvider)},
		}, map[string]string{"node": "chain,methods"}, "node", nil},
		{"two chain backends", []Plugin{
			{"bitcoind", "/opt/amber/amber-bitcoind", chainCaps}, {"mydaemon", "/usr/local/bin/amber-bitcoind", chainCaps},
		}, nil, "", []string{`"bitcoind" (plugins.bitcoind, /opt/amber/amber-bitcoind)`,
			`"mydaemon" (plugins.mydaemon, /usr/local/bin/amber-bitcoind)`, `"chain-backend"`, "chain role"}},
		{"two fee estimators", []Plugin{
			{"a", "/bin/a", chainCaps}, {"fee1", "/bin/fee1", feeCaps}, {"fee2", "/bin/fee2", feeCaps},
		}, nil, "", []string{`"fee1" (plugins.fee1, /bin/fee1)`, `"fee2" (plugins.fee2, /bin/fee2)`, `"fee-estimator"`}},
		{"no chain backend", []Plugin{{"history", "/bin/history", methodCaps}},
			nil, "", []string{`no plugin declares the "chain-backend" capability`, `"history" (plugins.history, /bin/history)`}},
		{"no plugins", nil, nil, "", []string{`"chain-backend"`, "no plugins are configured"}},
		{"a plugin with no role", []Plugin{{"a", "/bin/a", chainCaps}, {"odd", "/bin/odd", []string{"verbose-tx"}}},
			nil, "", []string{`plugin "odd" (plugins.odd, /bin/odd) declares none of the role capabilities`, `["verbose-tx"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Assign(Table, tt.plugins)
			if tt.errs != nil {
				if err == nil {
					t.Fatalf("Assign succeeded: %+v", a)
				}
				for _, w := range tt.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nlacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, label := range tt.want {
				if got := a.Label(name); got != label {
					t.Errorf("Label(%s) = %q, want %q", name, got, label)
				}
			}
			if got := a.Holder(Chain); got != tt.chain {
				t.Errorf("chain holder %q, want %q", got, tt.chain)
			}
		})
	}
}

// TestMissingError: a missing chain backend is a *MissingError naming the
// role, so that the server can fall back to the bundled daemon client.
func TestMissingError(t *testing.T) {
	_, err := Assign(Table, []Plugin{{"h", "/bin/h", methodCaps}})
	var m *MissingError
	if !errors.As(err, &m) || m.Spec.Role != Chain {
		t.Fatalf("error %v (%T), want a *MissingError for the chain role", err, err)
	}
}

// TestCheck: a restarted plugin must still declare its roles' capabilities.
func TestCheck(t *testing.T) {
	a, err := Assign(Table, []Plugin{{"a", "/bin/a", chainCaps}, {"fees", "/bin/fees", feeCaps}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, plugin string
		caps         []string
		want         string
	}{
		{"chain kept", "a", []string{sdk.CapChainBackend}, ""},
		{"chain dropped", "a", methodCaps, `plugin "a" no longer declares the "chain-backend" capability of its chain role`},
		{"fees kept", "fees", feeCaps, ""},
		{"fees dropped", "fees", methodCaps, `"fee-estimator" capability of its fees role`},
		{"unknown plugin", "other", nil, ""},
	} {
		err := a.Check(tt.plugin, tt.caps)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Check = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestGained: a restarted plugin's new role capabilities are reported, the
// ones it had are not.
func TestGained(t *testing.T) {
	a, err := Assign(Table, []Plugin{{"a", "/bin/a", chainCaps}, {"m", "/bin/m", methodCaps}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, plugin string
		caps, want   []string
	}{
		{"same", "a", chainCaps, nil},
		{"methods gained fees", "m", append(slices.Clone(methodCaps), sdk.CapFeeEstimator), []string{sdk.CapFeeEstimator}},
		{"methods gained chain", "m", append(slices.Clone(methodCaps), sdk.CapChainBackend), []string{sdk.CapChainBackend}},
		{"unknown plugin", "x", chainCaps, []string{sdk.CapChainBackend}},
	} {
		if got := a.Gained(tt.plugin, tt.caps); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Gained = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTable: the table has one row per role and capability, and the
// single-instance roles are the chain backend and the fee estimator.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	var single []string
	for _, r := range Table {
		if seen[r.Role] || seen[r.Capability] {
			t.Errorf("duplicate row %+v", r)
		}
		seen[r.Role], seen[r.Capability] = true, true
		if r.Single {
			single = append(single, r.Role)
		}
	}
	if !slices.Equal(single, []string{Chain, Fees}) {
		t.Errorf("single-instance roles %q, want chain and fees", single)
	}
}
