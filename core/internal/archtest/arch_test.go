package archtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const rootModule = "github.com/amber-electrum/amber"

type pkg struct {
	ImportPath string
	Doc        string
	Dir        string
	Deps       []string
	Module     *struct{ Path string }
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

func TestEveryPackageHasADocComment(t *testing.T) {
	root := repoRoot(t)
	for _, dir := range []string{root, filepath.Join(root, "sdk")} {
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

// TestPluginsImportOnlySDKAndCoins keeps plugins honest: they are separate
// programs and may use the SDK, coins and libraries, never core or cmd.
func TestPluginsImportOnlySDKAndCoins(t *testing.T) {
	for _, p := range list(t, repoRoot(t), "./plugins/...") {
		for _, d := range p.Deps {
			if !strings.HasPrefix(d, rootModule+"/") {
				continue
			}
			rest := strings.TrimPrefix(d, rootModule+"/")
			if strings.HasPrefix(rest, "sdk") || strings.HasPrefix(rest, "coins") || strings.HasPrefix(rest, "plugins/") {
				continue
			}
			t.Errorf("%s depends on %s: plugins may import only sdk, coins and libraries", p.ImportPath, d)
		}
	}
}
