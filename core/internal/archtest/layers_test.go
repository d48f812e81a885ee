package archtest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// in is the import path of the core/internal package name.
func in(name string) string { return rootModule + "/core/internal/" + name }

// layerRule forbids a package (and, with tests, its test files) to import
// any of the listed core/internal packages.
type layerRule struct {
	pkg   string   // core/internal/<pkg>
	never []string // core/internal/<name>
	why   string
	// prodOnly: the rule covers the package's own code but not its tests.
	prodOnly bool
}

// layerRules are the layers inside core, read off the import graph and
// frozen: the session layer knows no protocol, the index knows no session,
// the store knows nothing of core, and only core/server reads the config.
var layerRules = []layerRule{
	{pkg: "store", never: []string{"index", "session", "electrum", "admin", "hostsvc", "extmethods", "transport", "pluginhost", "peers", "config", "cost", "jsonrpc", "metrics"},
		why: "the store is a key-value engine and imports no other core package"},
	{pkg: "index", never: []string{"session", "electrum", "admin", "extmethods", "transport", "pluginhost", "peers", "config", "cost", "jsonrpc"},
		why: "the index reads the chain into the store and knows nothing of sessions or the protocol"},
	{pkg: "session", never: []string{"electrum", "admin", "index", "store", "hostsvc", "extmethods", "transport", "pluginhost", "peers", "config"},
		why: "sessions frame, account and schedule requests; the protocol layer is handed to them"},
	{pkg: "transport", never: []string{"session", "electrum", "admin", "index", "store", "hostsvc", "extmethods", "pluginhost", "peers", "config"},
		why: "transports move bytes and know no session", prodOnly: true}, // its tests drive a real session over its conns
	{pkg: "electrum", never: []string{"admin", "store", "extmethods", "transport", "pluginhost", "peers", "config", "hostsvc"},
		why: "the protocol layer answers over the index and sessions; admin, plugins and wiring sit above it"},
	{pkg: "jsonrpc", never: []string{"session", "electrum", "admin", "index", "store", "hostsvc", "extmethods", "transport", "pluginhost", "peers", "config", "cost"},
		why: "JSON-RPC framing is a leaf"},
	{pkg: "cost", never: []string{"session", "electrum", "admin", "index", "store", "hostsvc", "extmethods", "transport", "pluginhost", "peers", "config", "jsonrpc"},
		why: "the cost model is pure arithmetic over time"},
	{pkg: "pluginhost", never: []string{"session", "electrum", "admin", "index", "store", "hostsvc", "extmethods", "transport", "peers", "config", "cost", "jsonrpc"},
		why: "the plugin supervisor knows no other part of the core"},
	{pkg: "peers", never: []string{"session", "electrum", "admin", "index", "store", "hostsvc", "extmethods", "transport", "pluginhost", "config"},
		why: "peer discovery talks to other servers through its own client"},
	{pkg: "config", never: []string{"session", "electrum", "admin", "index", "store", "hostsvc", "extmethods", "transport", "pluginhost", "peers", "cost", "jsonrpc", "metrics"},
		why: "config parses keys into values and depends on no part it configures"},
	{pkg: "roles", never: []string{"session", "electrum", "index", "store", "admin", "hostsvc", "extmethods", "transport", "peers", "config", "cost", "jsonrpc", "metrics", "chainrole"},
		why: "the role table reads plugin capabilities from pluginhost and knows no session, protocol or index"},
	{pkg: "chainrole", never: []string{"session", "electrum", "index", "store", "admin", "hostsvc", "extmethods", "transport", "peers", "config", "cost", "jsonrpc", "metrics", "roles"},
		why: "the chain backend's adapter speaks to a plugin through pluginhost and knows no session, protocol or index"},
	{pkg: "hostsvc", never: []string{"session", "electrum", "admin", "store", "extmethods", "transport", "pluginhost", "peers", "config", "cost", "jsonrpc", "roles", "chainrole"},
		why: "the host services answer plugins from the index; they know no session or protocol"},
	{pkg: "extmethods", never: []string{"admin", "index", "store", "hostsvc", "transport", "pluginhost", "peers", "config", "cost", "metrics", "roles", "chainrole"},
		why: "plugin methods are routed through the protocol layer's registry; supervision and wiring sit above"},
	{pkg: "admin", never: []string{"electrum", "extmethods", "hostsvc", "store", "pluginhost", "peers", "config", "roles", "chainrole"},
		why: "the admin RPC runs on sessions over the index; it knows no client protocol and no plugin"},
	{pkg: "metrics", never: []string{"store", "index", "session", "electrum", "admin", "hostsvc", "extmethods", "transport", "pluginhost", "peers", "config", "cost", "jsonrpc", "roles", "chainrole"},
		why: "the metrics registry is a leaf the other parts are handed"},
}

// TestCoreLayers checks layerRules, test imports included unless prodOnly.
func TestCoreLayers(t *testing.T) {
	byPath := map[string]pkg{}
	for _, p := range list(t, repoRoot(t), "./core/...") {
		byPath[p.ImportPath] = p
	}
	for _, r := range layerRules {
		p, ok := byPath[in(r.pkg)]
		if !ok {
			t.Errorf("layer rule for %s: no such package", in(r.pkg))
			continue
		}
		imports := p.Imports
		if !r.prodOnly {
			imports = slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		}
		for _, imp := range imports {
			for _, n := range r.never {
				if imp == in(n) || strings.HasPrefix(imp, in(n)+"/") {
					t.Errorf("%s imports %s: %s", p.ImportPath, imp, r.why)
				}
			}
		}
	}
}

// wiredByServer are the core/internal packages only core/server's code
// imports: the role table, the adapters, the plugin host services and
// methods, the admin RPC and the metrics registry are wired up there.
var wiredByServer = []string{"roles", "chainrole", "hostsvc", "extmethods", "admin", "metrics"}

// TestWiringOnlyInServer checks wiredByServer over production imports
// (a test may drive one of them, e.g. index's tests through hostsvc).
func TestWiringOnlyInServer(t *testing.T) {
	for _, p := range list(t, repoRoot(t), "./...") {
		if p.ImportPath == rootModule+"/core/server" {
			continue
		}
		for _, imp := range p.Imports {
			for _, w := range wiredByServer {
				if imp == in(w) {
					t.Errorf("%s imports %s: only core/server wires it", p.ImportPath, imp)
				}
			}
		}
	}
}

// TestOnlyServerReadsConfig: the parts of amberd get their settings as
// plain values from core/server; none of them imports the config package
// (its own tests aside).
func TestOnlyServerReadsConfig(t *testing.T) {
	for _, p := range list(t, repoRoot(t), "./...") {
		if p.ImportPath == in("config") || p.ImportPath == rootModule+"/core/server" || p.ImportPath == in("archtest") {
			continue
		}
		if slices.Contains(slices.Concat(p.Imports, p.TestImports, p.XTestImports), in("config")) {
			t.Errorf("%s imports %s: only core/server reads the config", p.ImportPath, in("config"))
		}
	}
}

// testHelpers are packages for tests: test environments, fakes, real-node
// control. The shipped binaries must not link them.
var testHelpers = []string{
	"core/testenv", "core/regtest", "core/internal/store/storetest",
	"core/internal/e2e", "sdk/sdktest",
}

func isTestHelper(path string) bool {
	rest, ok := strings.CutPrefix(path, rootModule+"/")
	if !ok {
		return false
	}
	for _, h := range testHelpers {
		if rest == h || strings.HasPrefix(rest, h+"/") {
			return true
		}
	}
	return false
}

// TestShippedBinariesLinkNoTestHelper: amberd, amberctl and every plugin
// binary depend on no test helper, so test-only code never ships.
func TestShippedBinariesLinkNoTestHelper(t *testing.T) {
	pkgs := list(t, repoRoot(t), "./cmd/amberd", "./cmd/amberctl", "./plugins/...")
	if len(pkgs) < 3 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, d := range p.Deps {
			if isTestHelper(d) {
				t.Errorf("%s depends on the test helper %s", p.ImportPath, d)
			}
		}
	}
}

func TestIsTestHelper(t *testing.T) {
	for path, want := range map[string]bool{
		rootModule + "/core/testenv":                  true,
		rootModule + "/core/internal/e2e/harness":     true,
		rootModule + "/core/internal/store/storetest": true,
		rootModule + "/core/internal/store":           false,
		rootModule + "/core/testenvx":                 false,
		"example.com/core/testenv":                    false,
	} {
		if got := isTestHelper(path); got != want {
			t.Errorf("isTestHelper(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestPluginTestsImportOnlyTestInfrastructure: a plugin's tests may use,
// besides what its code may, the real-node helpers core/regtest and
// core/testenv, never the rest of core or cmd.
func TestPluginTestsImportOnlyTestInfrastructure(t *testing.T) {
	allowed := append([]string{"core/regtest", "core/testenv"}, sharedWithPlugins...)
	for _, p := range list(t, repoRoot(t), "./plugins/...") {
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			rest, ok := strings.CutPrefix(imp, rootModule+"/")
			if !ok || strings.HasPrefix(rest, "sdk") || strings.HasPrefix(rest, "coins") || strings.HasPrefix(rest, "plugins/") || slices.Contains(allowed, rest) {
				continue
			}
			t.Errorf("%s's tests import %s: plugin tests may import sdk, coins, plugins and %v", p.ImportPath, imp, allowed)
		}
	}
}

// exampleModules are the third-party plugin examples, each a module of its
// own that depends on the SDK module alone.
var exampleModules = []string{"examples/hello-method", "examples/python-plugin"}

// TestExamplesImportOnlySDK: an example (tests included) uses the SDK
// module, the standard library and third-party modules, never the root
// module: it is what a third party can write.
func TestExamplesImportOnlySDK(t *testing.T) {
	for _, m := range exampleModules {
		own := rootModule + "/" + m
		pkgs := list(t, filepath.Join(repoRoot(t), m), "-deps", "-test", "./...")
		if len(pkgs) == 0 {
			t.Fatalf("%s: go list found nothing", m)
		}
		for _, p := range pkgs {
			path, _, _ := strings.Cut(p.ImportPath, " ")
			path = strings.TrimSuffix(path, ".test")
			rest, ok := strings.CutPrefix(path, rootModule+"/")
			if !ok || path == own || strings.HasPrefix(path, own+"/") || rest == "sdk" || strings.HasPrefix(rest, "sdk/") {
				continue
			}
			t.Errorf("%s depends on %s: examples may import only the SDK module", m, path)
		}
	}
}
