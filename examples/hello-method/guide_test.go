package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guideBlock is one fenced code block of the plugin guide.
type guideBlock struct {
	lang string
	line int // line of the opening fence
	body string
}

// guideBlocks returns the fenced code blocks of a Markdown file.
func guideBlocks(t *testing.T, path string) []guideBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []guideBlock
	var cur *guideBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &guideBlock{lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: n}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s: block at line %d is not closed", path, cur.line)
	}
	return out
}

var pathLineRE = regexp.MustCompile(`^// ([A-Za-z0-9_./-]+\.go)\n`)

// TestGuideSnippetsBuild writes every Go block of docs/writing-plugins.md
// to the file its first line names, in a module whose go.mod is the
// guide's own (its replace pointed at this repository's sdk/), then vets
// (which compiles the test files too) and tests that module: the guide's
// snippets are a plugin that builds and passes its own tests.
func TestGuideSnippetsBuild(t *testing.T) {
	const guide = "../../docs/writing-plugins.md"
	sdkDir, err := filepath.Abs("../../sdk")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var goFiles, gomods int
	seen := map[string]int{}
	for _, b := range guideBlocks(t, guide) {
		switch b.lang {
		case "go":
			m := pathLineRE.FindStringSubmatch(b.body)
			if m == nil {
				t.Errorf("%s:%d: a Go block must start with a // path.go line naming its file", guide, b.line)
				continue
			}
			if prev, dup := seen[m[1]]; dup {
				t.Errorf("%s:%d: %s already written by the block at line %d", guide, b.line, m[1], prev)
				continue
			}
			seen[m[1]] = b.line
			write(t, filepath.Join(dir, m[1]), b.body)
			goFiles++
		case "gomod":
			mod := regexp.MustCompile(`(?m)^replace github.com/amber-electrum/amber/sdk => \S+$`).
				ReplaceAllString(b.body, "replace github.com/amber-electrum/amber/sdk => "+sdkDir)
			if mod == b.body {
				t.Fatalf("%s:%d: the go.mod block has no replace of the SDK", guide, b.line)
			}
			write(t, filepath.Join(dir, "go.mod"), mod)
			gomods++
		}
	}
	if goFiles < 5 || gomods != 1 {
		t.Fatalf("%d Go blocks and %d go.mod blocks in %s; want the plugin's files and one go.mod", goFiles, gomods, guide)
	}
	// The example's go.sum has the SDK's dependencies, so no download is
	// needed where the example builds.
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.sum"), string(sum))
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s on the guide's snippets: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
