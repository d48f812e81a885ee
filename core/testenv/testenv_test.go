package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCI(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{
		{"", false}, {"0", false}, {"false", false}, {"FALSE", false},
		{"true", true}, {"1", true}, {"yes", true},
	} {
		t.Setenv("CI", tc.val)
		if got := CI(); got != tc.want {
			t.Errorf("CI=%q: CI() = %v, want %v", tc.val, got, tc.want)
		}
	}
}

func TestFindFixedPaths(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	plain := filepath.Join(dir, "plain")
	for p, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := Find(Tool{Name: "tool", Paths: []string{filepath.Join(dir, "nope"), exe}}); err != nil || p != exe {
		t.Errorf("Find = %q, %v; want %q", p, err, exe)
	}
	if _, err := Find(Tool{Name: "plain", Paths: []string{plain}}); err == nil {
		t.Error("a file without the executable bit was accepted")
	}
}

func TestGoBinLookupUsesPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "amber-testenv-probe")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if p, err := GoBinLookup("amber-testenv-probe"); err != nil || p != exe {
		t.Errorf("GoBinLookup = %q, %v; want %q", p, err, exe)
	}
	if _, err := GoBinLookup("amber-testenv-no-such-tool"); err == nil || !strings.Contains(err.Error(), "GOPATH") {
		t.Errorf("missing tool: err = %v", err)
	}
}

// recorder is a testing.TB that records how a test would have ended.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
}

func TestMissingToolRule(t *testing.T) {
	tool := Tool{Name: "ghost", Install: "apt-get install ghost", Paths: []string{"/nonexistent/ghost"}}
	for _, ci := range []string{"", "false", "true", "1"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r := &recorder{TB: t}
			if p := Require(r, tool); p != "" {
				t.Fatalf("Require returned %q for a missing tool", p)
			}
			if CI() {
				if r.failed == "" || r.skipped != "" {
					t.Errorf("under CI a missing tool must fail: failed %q skipped %q", r.failed, r.skipped)
				}
			} else if r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, "install") {
				t.Errorf("outside CI a missing tool must skip with install help: failed %q skipped %q", r.failed, r.skipped)
			}
		})
	}
}

func TestSearchPathAddsGoBinDirsOnce(t *testing.T) {
	dirs := GoBinDirs()
	if len(dirs) == 0 {
		t.Skip("no home directory and no go env GOPATH")
	}
	t.Setenv("PATH", "/usr/bin"+string(filepath.ListSeparator)+dirs[0])
	got := filepath.SplitList(SearchPath())
	if got[0] != "/usr/bin" || got[1] != dirs[0] {
		t.Fatalf("SearchPath %v does not keep PATH first", got)
	}
	seen := map[string]int{}
	for _, d := range got {
		seen[d]++
	}
	for _, d := range dirs {
		if seen[d] != 1 {
			t.Errorf("%s appears %d times in %v", d, seen[d], got)
		}
	}
}
