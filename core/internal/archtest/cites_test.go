package archtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outsideSpec matches a spec file named without its docs/ directory
// (protocol.md, sessions-and-costs.md, ...) or the shared spec directory:
// documents that are not in the repository.
var outsideSpec = regexp.MustCompile(`(^|[^/\w-])(protocol|sessions-and-costs|daemon-and-index|admin-rpc|bmm)\.md|shared/spec`)

// citesOutside reports whether line cites a document outside the
// repository. A markdown link target ("](bmm.md)", as generated docs under
// docs/ link to each other) is a relative link inside docs/, not a cite.
func citesOutside(line string) bool {
	for _, m := range outsideSpec.FindAllStringIndex(line, -1) {
		if !strings.HasSuffix(line[:m[0]+1], "](") {
			return true
		}
	}
	return false
}

// TestCommentsCiteRepositoryDocs: Go and proto sources cite documents under
// docs/ (docs/protocol.md, docs/methods.md, docs/bmm.md), never spec files
// outside the repository.
func TestCommentsCiteRepositoryDocs(t *testing.T) {
	root := repoRoot(t)
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".proto") {
			return nil
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if citesOutside(line) && filepath.Base(path) != "cites_test.go" {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d cites a document outside the repository: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("walked only %d source files", files)
	}
}

func TestOutsideSpecPattern(t *testing.T) {
	for line, want := range map[string]bool{
		"// (protocol.md §1.3)":                     true,
		"// see sessions-and-costs.md":              true,
		"// (spec bmm.md)":                          true,
		"// ../shared/spec/admin-rpc.md":            true,
		"// (docs/protocol.md, Error codes)":        false,
		"// docs/bmm.md prices it":                  false,
		"// docs/methods.md":                        false,
		"// writing-plugins.md is the plugin guide": false,
		`Doc: "[docs/bmm.md](bmm.md)"`:              false,
		"// (bmm.md), see [x](bmm.md)":              true,
	} {
		if got := citesOutside(line); got != want {
			t.Errorf("%q: match %v, want %v", line, got, want)
		}
	}
}
