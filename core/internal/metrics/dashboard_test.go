package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// dashboards are the Grafana dashboards shipped in configs/.
func dashboards(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../../configs/grafana-*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs/grafana-*.json: %v", err)
	}
	return files
}

// dashboardExprs returns every PromQL expression of a Grafana dashboard: the
// panels' targets (rows' nested panels too) and the query variables'
// label_values(...) queries (their selector part).
func dashboardExprs(raw []byte) ([]string, error) {
	var d struct {
		Panels     []dashPanel `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	var out []string
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if tg.Expr != "" {
					out = append(out, tg.Expr)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		var s string
		if json.Unmarshal(v.Query, &q) == nil && q.Query != "" {
			s = q.Query
		} else if json.Unmarshal(v.Query, &s) != nil {
			continue
		}
		// label_values(selector, label): the selector is PromQL.
		if m := labelValuesRe.FindStringSubmatch(s); m != nil {
			out = append(out, m[1])
		}
	}
	return out, nil
}

type dashPanel struct {
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

var (
	labelValuesRe = regexp.MustCompile(`^\s*label_values\(\s*(.*?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)
	stringRe      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	rangeRe       = regexp.MustCompile(`\[[^\]]*\]`)
	groupingRe    = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identRe       = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	selectorRe    = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	matcherRe     = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
)

// promKeywords are PromQL words that are neither functions nor metrics.
var promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"inf": true, "nan": true, "Inf": true, "NaN": true, "group_left": true, "group_right": true}

// metricNames extracts the metric names a PromQL expression queries: string
// literals, range and subquery durations, grouping clauses and label
// matchers are removed; a remaining identifier followed by "(" is a function
// or aggregation, any other one (not a keyword) is a metric name.
func metricNames(expr string) []string {
	s := stringRe.ReplaceAllString(expr, `""`)
	s = rangeRe.ReplaceAllString(s, " ")
	s = groupingRe.ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(s, " ")
	var names []string
	for _, loc := range identRe.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		if loc[0] > 0 && (isDigit(s[loc[0]-1]) || s[loc[0]-1] == '.' || s[loc[0]-1] == '$') {
			continue // part of a number (1e3) or a Grafana variable
		}
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || promKeywords[word] {
			continue
		}
		if !slices.Contains(names, word) {
			names = append(names, word)
		}
	}
	return names
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// selectorLabels maps each metric with a {…} selector to its matcher label
// names.
func selectorLabels(expr string) map[string][]string {
	s := stringRe.ReplaceAllString(expr, `""`)
	out := map[string][]string{}
	for _, m := range selectorRe.FindAllStringSubmatch(s, -1) {
		for _, lm := range matcherRe.FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], lm[1])
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`amber_index_height`, []string{"amber_index_height"}},
		{`sum by (kind) (amber_sessions{job=~"$job"})`, []string{"amber_sessions"}},
		{`histogram_quantile(0.99, sum by (le, method) (rate(amber_request_duration_seconds_bucket{a="x{y}"}[$__rate_interval])))`,
			[]string{"amber_request_duration_seconds_bucket"}},
		{`amber_daemon_height - amber_index_height offset 5m`, []string{"amber_daemon_height", "amber_index_height"}},
		{`increase(x_total[1h]) / on (instance) group_left y > 1e3 and bool z`, []string{"x_total", "y", "z"}},
		{`sum without (code) (rate(e_total{code="2"}[5m:1m]))`, []string{"e_total"}},
		{`vector(1)`, nil},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// registryFamilies builds Metrics with every source filled in and one
// request, error and byte count observed, so that each family has a sample.
func registryFamilies(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	m := New(Options{
		Sessions: SessionsFunc(func() []SessionInfo { return []SessionInfo{{Kind: "TCP", Cost: 5, ConcurrencyTarget: 10}} }),
		Index:    IndexFunc(func() IndexStatus { return IndexStatus{DBHeight: 1, DaemonHeight: 1, Synced: true} }),
		Plugins:  PluginsFunc(func() []PluginInfo { return []PluginInfo{{Name: "bitcoind", Running: true}} }),
		Methods:  []string{"server.version"},
	})
	m.ObserveRequest("TCP", "server.version", 2, time.Millisecond)
	m.AddBytes(10, 20)
	return families(t, m)
}

// TestGrafanaDashboardMetricsExist: every metric the shipped Grafana
// dashboards query is one amberd exports (a histogram's _bucket, _sum and
// _count series count as its family), and every label a selector matches
// on is one of that metric's labels or a scrape target label.
func TestGrafanaDashboardMetricsExist(t *testing.T) {
	fams := registryFamilies(t)
	family := func(name string) *dto.MetricFamily {
		if f := fams[name]; f != nil {
			return f
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok {
				if f := fams[base]; f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
					return f
				}
			}
		}
		return nil
	}
	for _, file := range dashboards(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		exprs, err := dashboardExprs(raw)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(exprs) < 10 {
			t.Fatalf("%s: only %d expressions found", file, len(exprs))
		}
		queried := map[string]bool{}
		for _, e := range exprs {
			names := metricNames(e)
			if len(names) == 0 {
				t.Errorf("%s: no metric in %q", file, e)
			}
			for _, n := range names {
				queried[n] = true
				if family(n) == nil {
					t.Errorf("%s: %q queries %s, which amberd does not export", file, e, n)
				}
			}
			for metric, labels := range selectorLabels(e) {
				f := family(metric)
				if f == nil {
					continue
				}
				for _, l := range labels {
					if l == "job" || l == "instance" || l == "le" {
						continue
					}
					if !hasLabel(f, l) {
						t.Errorf("%s: %q matches label %s, which %s does not have", file, e, l, metric)
					}
				}
			}
		}
		// Every amber_ family is on the dashboard.
		for name := range fams {
			if !strings.HasPrefix(name, Namespace+"_") {
				continue
			}
			if !queried[name] && !queried[name+"_bucket"] {
				t.Errorf("%s: amberd exports %s, which no panel shows", file, name)
			}
		}
	}
}

func hasLabel(f *dto.MetricFamily, label string) bool {
	for _, m := range f.GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				return true
			}
		}
	}
	return false
}

// FuzzMetricNames: the extractor never panics and returns identifiers only.
func FuzzMetricNames(f *testing.F) {
	for _, s := range []string{`sum by (a) (rate(x{b="c"}[5m]))`, `a - b offset 1h`, `"unterminated`, `{}}}[[`, `label_values(x, y)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, n := range metricNames(expr) {
			if !identRe.MatchString(n) || identRe.FindString(n) != n {
				t.Fatalf("metricNames(%q) returned %q", expr, n)
			}
		}
		_ = selectorLabels(expr)
		_, _ = dashboardExprs([]byte(expr))
	})
}
