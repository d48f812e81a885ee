package charts

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
)

// fixtures are the result files under cmd/amber-bench/testdata/chart.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "chart", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) error
		input string
		want  string // in the error; "" means no error
	}{
		{"query ok", pq, `{"command":"query","results":[{"label":"echo x","all":{"count":1,"p50_ns":5}}]}`, ""},
		{"query not JSON", pq, `{"command":`, "unexpected end"},
		{"query wrong command", pq, `{"command":"sync","results":[{}]}`, `command "sync", want "query"`},
		{"query no results", pq, `{"command":"query","results":[]}`, "no results"},
		{"query null result", pq, `{"command":"query","results":[null]}`, "is null"},
		{"query negative rate", pq, `{"command":"query","results":[{"rate":-1}]}`, "negative"},
		{"query negative p99", pq, `{"command":"query","results":[{"all":{"p99_ns":-1}}]}`, "negative latency"},
		{"query buckets out of order", pq, `{"command":"query","results":[{"histogram":[{"le_ns":5,"count":1},{"le_ns":5,"count":1}]}]}`, "increasing"},
		{"query empty bucket", pq, `{"command":"query","results":[{"methods":[{"method":"m","histogram":[{"le_ns":5,"count":0}]}]}]}`, `method "m"`},
		{"sync ok", ps, `{"command":"sync","raw_fetch":{"series":[{"t_s":0,"height":0},{"t_s":1,"height":5}]}}`, ""},
		{"sync no series", ps, `{"command":"sync"}`, "no series"},
		{"sync back in time", ps, `{"command":"sync","amberd":{"series":[{"t_s":2},{"t_s":1}]}}`, "back in time"},
		{"sync negative height", ps, `{"command":"sync","amberd":{"series":[{"t_s":1,"height":-2}]}}`, "out of range"},
		{"sync negative ratio", ps, `{"command":"sync","ratio":-0.5,"amberd":{"series":[{"t_s":1}]}}`, "chain figures"},
		{"subscribe ok", pu, `{"command":"subscribe","events":[{"kind":"block","latency":{"count":1,"max_ns":3}}]}`, ""},
		{"subscribe no events", pu, `{"command":"subscribe","events":[]}`, "no events"},
		{"subscribe negative notified", pu, `{"command":"subscribe","events":[{"notified":-1}]}`, "negative"},
		{"subscribe bad bucket", pu, `{"command":"subscribe","events":[{"histogram":[{"le_ns":-1,"count":1}]}]}`, "event 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse([]byte(tt.input))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInput)):
				t.Fatalf("error %v, want ErrInput with %q", err, tt.want)
			}
		})
	}
}

func pq(b []byte) error { _, err := ParseQuery(b); return err }
func ps(b []byte) error { _, err := ParseSync(b); return err }
func pu(b []byte) error { _, err := ParseSubscribe(b); return err }

func TestNum(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.001, "0.001"}, {0.012345, "0.0123"}, {4.567, "4.57"}, {100, "100"}, {999.4, "999"},
		{1000, "1,000"}, {1234567.8, "1,234,568"}, {-2500, "-2,500"}, {3e20, "3e+20"}} {
		if got := num(tt.v); got != tt.want {
			t.Errorf("num(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func labels(ticks []plot.Tick) []string {
	var out []string
	for _, tk := range ticks {
		if tk.Label != "" {
			out = append(out, tk.Label)
		}
	}
	return out
}

func TestAxes(t *testing.T) {
	tests := []struct {
		name   string
		set    func(a *plot.Axis)
		min    float64
		max    float64
		labels string
	}{
		{"log within a decade", func(a *plot.Axis) { logAxis(a, 2, 7) }, 1, 10, "1 2 5 10"},
		{"log three decades", func(a *plot.Axis) { logAxis(a, 0.05, 9) }, 0.01, 10, "0.01 0.02 0.05 0.1 0.2 0.5 1 2 5 10"},
		{"log four decades", func(a *plot.Axis) { logAxis(a, 0.05, 30) }, 0.01, 100, "0.01 0.1 1 10 100"},
		{"log five decades", func(a *plot.Axis) { logAxis(a, 0.5, 3000) }, 0.1, 10000, "0.1 1 10 100 1,000 10,000"},
		{"log zero clamped to 1 µs", func(a *plot.Axis) { logAxis(a, 0, 0) }, 0.001, 0.01, "0.001 0.002 0.005 0.01"},
		{"log ten decades", func(a *plot.Axis) { logAxis(a, 0.001, 9e6) }, 0.001, 1e7, "0.001 0.1 10 1,000 100,000 10,000,000"},
		{"linear", func(a *plot.Axis) { linearAxis(a, 0, 1.9) }, 0, 1.9, "0 0.5 1 1.5"},
		{"linear heights", func(a *plot.Axis) { linearAxis(a, 0, 600) }, 0, 600, "0 100 200 300 400 500 600"},
		{"linear empty range", func(a *plot.Axis) { linearAxis(a, 0, 0) }, 0, 1, "0 0.2 0.4 0.6 0.8 1"},
		{"percentiles to p99 at least", func(a *plot.Axis) { percentileAxis(a, 0.5) }, 0, 2, "0 50 75 90 95 99"},
		{"percentiles to p99.99", func(a *plot.Axis) { percentileAxis(a, 3.3) }, 0, 4, "0 50 75 90 95 99 99.9 99.99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plot.New()
			tt.set(&p.X)
			if p.X.Min != tt.min || p.X.Max != tt.max {
				t.Errorf("range %v..%v, want %v..%v", p.X.Min, p.X.Max, tt.min, tt.max)
			}
			ticks := p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max)
			if got := strings.Join(labels(ticks), " "); got != tt.labels {
				t.Errorf("labels %q, want %q", got, tt.labels)
			}
			for i, tk := range ticks {
				if i > 0 && tk.Value <= ticks[i-1].Value || tk.Value < p.X.Min || tk.Value > p.X.Max*(1+1e-9) {
					t.Fatalf("tick %d at %v: out of order or range", i, tk.Value)
				}
			}
		})
	}
}

func TestNewCDF(t *testing.T) {
	tests := []struct {
		name  string
		s     latency.Summary
		h     []latency.Bucket
		count int64
		exact bool
		xs    []float64
		ys    []float64
	}{
		{"empty", latency.Summary{}, nil, 0, false, nil, nil},
		{"histogram", latency.Summary{Count: 99}, []latency.Bucket{{LE: 0, Count: 5}, {LE: 2 * time.Millisecond, Count: 5}, {LE: time.Second, Count: 90}},
			100, true, []float64{minMs, 2, 1000}, []float64{tailY(0.05, 0), tailY(0.1, 0), 2}},
		{"summary only", latency.Summary{Count: 1000, P50: time.Millisecond, P99: 2 * time.Millisecond, P999: 3 * time.Millisecond, Max: 4 * time.Millisecond},
			nil, 1000, false, []float64{1, 2, 3, 4}, []float64{tailY(0.5, 0), 2, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCDF(tt.s, tt.h)
			if c.count != tt.count || c.exact != tt.exact || len(c.xys) != len(tt.xs) {
				t.Fatalf("cdf %+v", c)
			}
			for i, p := range c.xys {
				if d := p.X - tt.xs[i]; d > 1e-9 || d < -1e-9 {
					t.Errorf("point %d x = %v, want %v", i, p.X, tt.xs[i])
				}
				if d := p.Y - tt.ys[i]; d > 1e-9 || d < -1e-9 {
					t.Errorf("point %d y = %v, want %v", i, p.Y, tt.ys[i])
				}
			}
		})
	}
}

// wellFormed fails unless svg is one XML document whose root is <svg>.
func wellFormed(svg []byte) error {
	d := xml.NewDecoder(bytes.NewReader(svg))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		return errors.New("root element " + root)
	}
	return nil
}

func TestChartsOfFixtures(t *testing.T) {
	q, err := ParseQuery(fixture(t, "query.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSync(fixture(t, "sync.json"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseSubscribe(fixture(t, "subscribe.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		draw  func() ([]Chart, error)
		names []string
	}{
		{"query", func() ([]Chart, error) { return QueryCharts(q, "amberd") }, []string{"latency-cdf", "methods"}},
		{"sync", func() ([]Chart, error) { return SyncCharts(s) }, []string{"sync-height", "sync-rss"}},
		{"subscribe", func() ([]Chart, error) { return SubscribeCharts(u) }, []string{"subscribe-cdf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.draw()
			if err != nil {
				t.Fatal(err)
			}
			b, err := tt.draw()
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(tt.names) {
				t.Fatalf("%d charts, want %v", len(a), tt.names)
			}
			for i, c := range a {
				if c.Name != tt.names[i] || c.Title == "" {
					t.Errorf("chart %d: name %q title %q, want name %q", i, c.Name, c.Title, tt.names[i])
				}
				if !bytes.Equal(c.SVG, b[i].SVG) {
					t.Errorf("%s: two drawings of the same input differ", c.Name)
				}
				if err := wellFormed(c.SVG); err != nil {
					t.Errorf("%s: %v", c.Name, err)
				}
			}
		})
	}
}

// edgeInputs are odd but valid results: each must chart.
var edgeInputs = []struct {
	name   string
	json   string
	charts int
	texts  []string // in the SVG, escaped as XML
}{
	{"query: huge and zero latencies, odd labels", `{"command":"query","results":[{"label":"echo <&>\u0001","all":{"count":3,"p50_ns":1,"max_ns":9000000000000000000},` +
		`"histogram":[{"le_ns":0,"count":1},{"le_ns":9000000000000000000,"count":2}],"methods":[{"method":"m\u00ff\u0007","count":1}]}]}`,
		2, []string{"echo server", "mÿ?"}},
	{"query: two servers, no echo", `{"command":"query","results":[{"label":"server a","sessions":3,"all":{"count":1,"max_ns":5},"methods":[{"method":"blockchain.x","count":1,"p50_ns":1000}]},` +
		`{"label":"server b","all":{"count":1,"max_ns":7}}]}`, 2, []string{"server a:", "server b:", "3 sessions", "server a latency per method", ">x<"}},
	{"sync: one point, no RSS", `{"command":"sync","chain":{"height":1},"amberd":{"series":[{"t_s":0.5,"height":1}]}}`, 1, []string{"chain height 1,"}},
	{"sync: raw fetch only, all at 0", `{"command":"sync","raw_fetch":{"series":[{"t_s":0,"height":0},{"t_s":0,"height":0}]}}`, 1, []string{"raw block fetch"}},
	{"subscribe: one session, summary only", `{"command":"subscribe","sessions":1,"events":[{"kind":"block","height":7,"notified":1,"latency":{"count":1,"p50_ns":5,"p99_ns":5,"p999_ns":5,"max_ns":5}}]}`,
		1, []string{"block 7: 1/0 notified", "[percentiles only]"}},
	{"subscribe: an event without samples beside one with", `{"command":"subscribe","events":[{"kind":"mempool"},{"kind":"block","histogram":[{"le_ns":3000000000,"count":2}]}]}`,
		1, []string{"block: 0/0 notified"}},
}

func TestEdgeInputs(t *testing.T) {
	for _, tt := range edgeInputs {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.json)
			var cs []Chart
			var err error
			switch {
			case strings.Contains(tt.json, `"command":"query"`):
				var q *Query
				if q, err = ParseQuery(data); err == nil {
					cs, err = QueryCharts(q, "amberd")
				}
			case strings.Contains(tt.json, `"command":"sync"`):
				var s *Sync
				if s, err = ParseSync(data); err == nil {
					cs, err = SyncCharts(s)
				}
			default:
				var u *Subscribe
				if u, err = ParseSubscribe(data); err == nil {
					cs, err = SubscribeCharts(u)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != tt.charts {
				t.Fatalf("%d charts, want %d", len(cs), tt.charts)
			}
			var all []byte
			for _, c := range cs {
				if err := wellFormed(c.SVG); err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				all = append(all, c.SVG...)
			}
			for _, s := range tt.texts {
				if !bytes.Contains(all, []byte(s)) {
					t.Errorf("no %q in the SVG", s)
				}
			}
		})
	}
}

// FuzzParse feeds arbitrary bytes to the three parsers; what a parser
// accepts must chart without a drawing error (only ErrInput) and give
// well-formed SVG.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"sync.json", "subscribe.json", "query-summaries.json"} {
		f.Add(fixture(f, name))
	}
	for _, in := range edgeInputs {
		f.Add([]byte(in.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var charts []Chart
		var err error
		if q, perr := ParseQuery(data); perr == nil {
			charts, err = QueryCharts(q, "amberd")
		} else if s, perr := ParseSync(data); perr == nil {
			charts, err = SyncCharts(s)
		} else if u, perr := ParseSubscribe(data); perr == nil {
			charts, err = SubscribeCharts(u)
		} else {
			if !errors.Is(perr, ErrInput) {
				t.Fatalf("parse error not ErrInput: %v", perr)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrInput) {
				t.Fatalf("charting a parsed result: %v", err)
			}
			return
		}
		for _, c := range charts {
			if err := wellFormed(c.SVG); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
	})
}
