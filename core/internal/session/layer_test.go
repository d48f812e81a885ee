package session

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestKnowsNoProtocol: the session layer imports no protocol package and
// names no protocol method; the protocol lives behind Factory and Handler.
func TestKnowsNoProtocol(t *testing.T) {
	forbiddenImports := []string{"/core/internal/electrum", "/core/internal/admin", "/core/internal/extmethods"}
	forbiddenText := []string{"server.", "blockchain.", "mempool.", "electrum"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbiddenImports {
				if strings.HasSuffix(path, bad) {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			for _, imp := range f.Imports {
				if imp.Path == lit {
					return true
				}
			}
			s, _ := strconv.Unquote(lit.Value)
			for _, bad := range forbiddenText {
				if strings.Contains(strings.ToLower(s), bad) {
					t.Errorf("%s: string %q names the protocol (%q)", fset.Position(lit.Pos()), s, bad)
				}
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked %d files; is the test running in the package directory?", checked)
	}
}
