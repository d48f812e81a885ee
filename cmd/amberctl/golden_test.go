package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenNow is "now" for the peers table's elapsed times.
var goldenNow = time.Unix(1_700_000_000, 0)

// TestRenderGolden feeds each recorded result in testdata/*.json
// ({"method": ..., "result": ...}) to render and compares the output with
// testdata/<name>.golden (and --json output with <name>.json.golden).
func TestRenderGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var rec struct {
				Method string          `json:"method"`
				Result json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			var human, compact bytes.Buffer
			if err := render(&human, rec.Method, rec.Result, goldenNow); err != nil {
				t.Fatal(err)
			}
			if err := printCompact(&compact, rec.Result); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/"+name+".golden", human.Bytes())
			checkGolden(t, "testdata/"+name+".compact.golden", compact.Bytes())
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderRejectsWrongShapes(t *testing.T) {
	for _, tc := range []struct{ method, raw string }{
		{"sessions", `{"a":1}`}, {"sessions", `[[1,2]]`}, {"groups", `[["x"]]`},
		{"peers", `[1]`}, {"query", `[1]`}, {"query", `"x"`}, {"getinfo", `{`},
	} {
		var b bytes.Buffer
		if err := render(&b, tc.method, json.RawMessage(tc.raw), goldenNow); err == nil {
			t.Errorf("render(%s, %s) accepted: %q", tc.method, tc.raw, b.String())
		}
	}
}
