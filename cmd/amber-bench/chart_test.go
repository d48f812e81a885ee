package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateCharts = flag.Bool("update-charts", false, "rewrite the golden SVGs under testdata/chart/golden")

// svgShape is what a chart is made of: its texts, its series lines (drawn
// 1.75 pt wide, once in the plot and once in the legend) and its filled
// p50 dots.
type svgShape struct {
	texts  []string
	series int
	dots   int
}

func parseSVG(t *testing.T, svg []byte) svgShape {
	t.Helper()
	var s svgShape
	d := xml.NewDecoder(bytes.NewReader(svg))
	var in *strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			var style string
			for _, a := range tok.Attr {
				if a.Name.Local == "style" {
					style = a.Value
				}
			}
			switch tok.Name.Local {
			case "text":
				in = &strings.Builder{}
			case "path":
				if strings.Contains(style, "stroke-width:1.75") {
					s.series++
				}
				if style == "fill:#0072B2" {
					s.dots++
				}
			}
		case xml.CharData:
			if in != nil {
				in.Write(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "text" && in != nil {
				s.texts = append(s.texts, in.String())
				in = nil
			}
		}
	}
	s.series /= 2
	return s
}

func TestChartCommand(t *testing.T) {
	td := filepath.Join("testdata", "chart")
	type want struct {
		series, dots int
		texts        []string
	}
	cdfAxes := []string{"latency (ms, log scale)"}
	tests := []struct {
		name  string
		args  []string
		files map[string]want
	}{
		{"query", []string{"-query", filepath.Join(td, "query.json")}, map[string]want{
			"query-latency-cdf.svg": {2, 0, append([]string{"Query latency, all requests", "20 sessions, 3 s, chain height 200",
				"percentile of requests", "amberd: 356 req/s, p99 138 ms", "echo server: 17,987 req/s, p99 13 ms (amberd at 1.98%)", "99.9"}, cdfAxes...)},
			"query-methods.svg": {0, 12, append([]string{"amberd latency per method: p50, p99, p99.9", "20 sessions, 3 s, chain height 200, 1,067 requests",
				"scripthash.get_history", "transaction.get_merkle", "server.version", "p50", "p99", "p99.9", "target: get_history p99 < 5 ms"}, cdfAxes...)},
		}},
		{"query without histograms", []string{"-query", filepath.Join(td, "query-summaries.json"), "-server-name", "electrs"}, map[string]want{
			"query-summaries-latency-cdf.svg": {2, 0, []string{"20 sessions, 3 s", "electrs: 356 req/s, p99 138 ms [p50/p99/p99.9/max only]"}},
			"query-summaries-methods.svg":     {0, 12, []string{"electrs latency per method: p50, p99, p99.9"}},
		}},
		{"sync", []string{"-sync", filepath.Join(td, "sync.json")}, map[string]want{
			"sync-height.svg": {2, 0, []string{"Sync from scratch: height over time", "chain height 600, 11,512 txs, 4.59 MiB",
				"amberd 316 blocks/s = 63.2% of the raw fetch's 500 blocks/s", "time since start (s)", "height reached (blocks)",
				"raw block fetch from the daemon: 1.2 s", "amberd indexing: 1.9 s", "600"}},
			"sync-rss.svg": {1, 0, []string{"amberd memory during the sync", "to height 600: peak RSS 116 MiB, index 23.4 MiB on disk",
				"resident set size (MiB)", "amberd RSS"}},
		}},
		{"subscribe", []string{"-subscribe", filepath.Join(td, "subscribe.json")}, map[string]want{
			"subscribe-cdf.svg": {3, 0, append([]string{"Notification latency over sessions",
				"2,000 sessions × 10 subscriptions; from the event to a session's last notification", "14.5 KiB RSS per idle session",
				"percentile of sessions", "mempool: 2,000/2,000 notified, p99 151 ms, max 238 ms",
				"block 601: 2,000/2,000 notified, p99 686 ms, max 1,522 ms", "block 602: 1,998/2,000 notified, p99 1,053 ms, max 1,716 ms",
				"target: all within 1 s"}, cdfAxes...)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			var stdout bytes.Buffer
			if err := dispatch(context.Background(), append([]string{"chart", "-out", out}, tt.args...), &stdout); err != nil {
				t.Fatal(err)
			}
			var printed, names []string
			for name := range tt.files {
				names = append(names, name)
			}
			slices.Sort(names)
			printed = strings.Fields(stdout.String())
			slices.Sort(printed)
			for i := range names {
				names[i] = filepath.Join(out, names[i])
			}
			if !slices.Equal(printed, names) {
				t.Fatalf("printed %q, want %q", printed, names)
			}
			for name, w := range tt.files {
				svg, err := os.ReadFile(filepath.Join(out, name))
				if err != nil {
					t.Fatal(err)
				}
				s := parseSVG(t, svg)
				if s.series != w.series || s.dots != w.dots {
					t.Errorf("%s: %d series and %d dots, want %d and %d", name, s.series, s.dots, w.series, w.dots)
				}
				for _, text := range w.texts {
					if !slices.Contains(s.texts, text) {
						t.Errorf("%s: no text %q in %q", name, text, s.texts)
					}
				}
				golden := filepath.Join(td, "golden", name)
				if *updateCharts {
					if err := os.WriteFile(golden, svg, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test -run TestChartCommand -update-charts writes it)", err)
				}
				if !bytes.Equal(svg, want) {
					t.Errorf("%s differs from %s (look at both; -update-charts rewrites the golden)", name, golden)
				}
			}
		})
	}
}

func TestChartCommandErrors(t *testing.T) {
	td := filepath.Join("testdata", "chart")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"command":"query","results":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no -out", []string{"-query", filepath.Join(td, "query.json")}, "-out is required"},
		{"no input", []string{"-out", dir}, "at least one"},
		{"missing file", []string{"-out", dir, "-sync", filepath.Join(dir, "nope.json")}, "no such file"},
		{"sync file given as query", []string{"-out", dir, "-query", filepath.Join(td, "sync.json")}, `command "sync", want "query"`},
		// A bad input after a good one: nothing is written.
		{"bad result", []string{"-out", filepath.Join(dir, "out"), "-sync", filepath.Join(td, "sync.json"), "-query", bad}, "no results"},
		{"stray argument", []string{"-out", dir, "x.json"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := dispatch(context.Background(), append([]string{"chart"}, tt.args...), &stdout)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("printed %q on error", stdout.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("output directory made for a failed run: %v", err)
	}
}

// Two inputs with the same name get numbered charts, not overwritten ones.
func TestChartCommandSameStem(t *testing.T) {
	td := filepath.Join("testdata", "chart")
	out := t.TempDir()
	var stdout bytes.Buffer
	q := filepath.Join(td, "query.json")
	if err := dispatch(context.Background(), []string{"chart", "-out", out, "-query", q, "-query", q}, &stdout); err != nil {
		t.Fatal(err)
	}
	want := []string{"query-latency-cdf.svg", "query-methods.svg", "query-latency-cdf-2.svg", "query-methods-2.svg"}
	got := strings.Fields(stdout.String())
	for i := range want {
		want[i] = filepath.Join(out, want[i])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("printed %q, want %q", got, want)
	}
}
