package archtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const rootModule = "github.com/amber-electrum/amber"

type pkg struct {
	ImportPath string
	Doc        string
	Dir        string
	Deps       []string
	Imports    []string
	// TestImports and XTestImports are the imports of the package's tests.
	TestImports  []string
	XTestImports []string
	Module       *struct{ Path string }
}

// repoRoot is two directories above this file's package.
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// list runs `go list -deps=false -json` for patterns in dir.
func list(t *testing.T, dir string, patterns ...string) []pkg {
	t.Helper()
	args := append([]string{"list", "-json"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list in %s: %v\n%s", dir, err, errb.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestEveryPackageHasADocComment covers every module of the repository:
// the server, the SDK, the bench tool and the examples.
func TestEveryPackageHasADocComment(t *testing.T) {
	root := repoRoot(t)
	dirs := []string{root, filepath.Join(root, "sdk"), filepath.Join(root, "cmd", "amber-bench")}
	for _, m := range exampleModules {
		dirs = append(dirs, filepath.Join(root, m))
	}
	for _, dir := range dirs {
		for _, p := range list(t, dir, "./...") {
			if strings.Contains(p.ImportPath, "/gen/") {
				continue // generated code carries its own doc.go
			}
			if strings.TrimSpace(p.Doc) == "" {
				t.Errorf("package %s has no package doc comment", p.ImportPath)
			}
		}
	}
}

func TestSDKNeverImportsTheServer(t *testing.T) {
	for _, p := range list(t, filepath.Join(repoRoot(t), "sdk"), "-deps", "./...") {
		if strings.HasPrefix(p.ImportPath, rootModule+"/") && !strings.HasPrefix(p.ImportPath, rootModule+"/sdk") {
			t.Errorf("the SDK module depends on %s; it must stand alone", p.ImportPath)
		}
	}
}

// sharedWithPlugins are the root-module packages outside sdk, coins and
// plugins that plugin code may import: leaves made for sharing, which import
// nothing of the server (TestSharedLeavesStandAlone).
var sharedWithPlugins = []string{"core/merkle", "core/pyfmt"}

// TestPluginsImportOnlySDKAndCoins keeps plugins honest: they are separate
// programs and may use the SDK, coins, the shared leaves and libraries,
// never the rest of core or cmd.
func TestPluginsImportOnlySDKAndCoins(t *testing.T) {
	for _, p := range list(t, repoRoot(t), "./plugins/...") {
		for _, d := range p.Deps {
			if !strings.HasPrefix(d, rootModule+"/") {
				continue
			}
			rest := strings.TrimPrefix(d, rootModule+"/")
			if strings.HasPrefix(rest, "sdk") || strings.HasPrefix(rest, "coins") || strings.HasPrefix(rest, "plugins/") || slices.Contains(sharedWithPlugins, rest) {
				continue
			}
			t.Errorf("%s depends on %s: plugins may import only sdk, coins, %v and libraries", p.ImportPath, d, sharedWithPlugins)
		}
	}
}

// hostOnlySDK are the SDK packages for amberd's end of the plugin protocol:
// a plugin's own code uses the sdk package (its tests may also use
// sdk/sdktest and, to drive the host side, sdk/hostside).
var hostOnlySDK = []string{"sdk/hostside", "sdk/internal"}

// hostOnly reports whether imp is one of hostOnlySDK or below one.
func hostOnly(imp string) bool {
	rest, ok := strings.CutPrefix(imp, rootModule+"/")
	if !ok {
		return false
	}
	for _, h := range hostOnlySDK {
		if rest == h || strings.HasPrefix(rest, h+"/") {
			return true
		}
	}
	return false
}

func TestHostOnly(t *testing.T) {
	for path, want := range map[string]bool{
		rootModule + "/sdk/hostside":      true,
		rootModule + "/sdk/internal/wire": true,
		rootModule + "/sdk":               false,
		rootModule + "/sdk/sdktest":       false,
		rootModule + "/sdk/hostsidex":     false,
		"example.com/amber/sdk/hostside":  false,
	} {
		if got := hostOnly(path); got != want {
			t.Errorf("hostOnly(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestPluginCodeUsesOnlyTheAuthorSDK: the production code of every plugin
// and example imports no host-side SDK package (hostOnlySDK).
func TestPluginCodeUsesOnlyTheAuthorSDK(t *testing.T) {
	root := repoRoot(t)
	pkgs := list(t, root, "./plugins/...")
	for _, m := range exampleModules {
		pkgs = append(pkgs, list(t, filepath.Join(root, m), "./...")...)
	}
	if len(pkgs) < 3 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			if hostOnly(imp) {
				t.Errorf("%s imports %s: plugin code uses the sdk package, not amberd's end of it", p.ImportPath, imp)
			}
		}
	}
}

// TestSharedLeavesStandAlone: a package shared with plugins depends on
// nothing of the root module but the SDK, so a plugin that imports it pulls
// in no server code.
func TestSharedLeavesStandAlone(t *testing.T) {
	for _, p := range list(t, repoRoot(t), sharedPatterns()...) {
		for _, d := range p.Deps {
			rest, ok := strings.CutPrefix(d, rootModule+"/")
			if ok && !strings.HasPrefix(rest, "sdk") {
				t.Errorf("%s depends on %s: a package shared with plugins may import only the sdk", p.ImportPath, d)
			}
		}
	}
}

func sharedPatterns() []string {
	var out []string
	for _, s := range sharedWithPlugins {
		out = append(out, "./"+s)
	}
	return out
}

// pluginOf names the plugin a package under plugins/ belongs to:
// "bmm" for plugins/bmm/proof, "internal" for the shared code under
// plugins/internal, "" for a package outside plugins/.
func pluginOf(importPath string) string {
	rest, ok := strings.CutPrefix(importPath, rootModule+"/plugins/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// TestPluginsNeverImportEachOther: each plugin is a program of its own;
// code two plugins share lives under plugins/internal, which imports no
// plugin. Test imports count too.
func TestPluginsNeverImportEachOther(t *testing.T) {
	pkgs := list(t, repoRoot(t), "./plugins/...")
	if len(pkgs) == 0 {
		t.Fatal("go list found no plugin packages")
	}
	for _, p := range pkgs {
		from := pluginOf(p.ImportPath)
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			to := pluginOf(imp)
			if to == "" || to == from || to == "internal" {
				continue
			}
			t.Errorf("%s imports %s: a plugin may import only its own packages and plugins/internal/...", p.ImportPath, imp)
		}
	}
}

func TestPluginOf(t *testing.T) {
	for path, want := range map[string]string{
		rootModule + "/plugins/bmm/proof":          "bmm",
		rootModule + "/plugins/bitcoind":           "bitcoind",
		rootModule + "/plugins/internal/daemonrpc": "internal",
		rootModule + "/plugins":                    "",
		rootModule + "/core/merkle":                "",
		"example.com/x/plugins/bmm":                "",
	} {
		if got := pluginOf(path); got != want {
			t.Errorf("pluginOf(%q) = %q, want %q", path, got, want)
		}
	}
}
