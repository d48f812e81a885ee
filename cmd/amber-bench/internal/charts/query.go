package charts

import (
	"fmt"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
	"github.com/amber-electrum/amber/core/pyfmt"
)

// GetHistoryTarget is issue #5's target for get_history's p99 (at 1,000
// sessions), drawn on the per-method chart.
const GetHistoryTarget = 5 * time.Millisecond

// isEcho tells the echo server's result (label "echo ADDR") from the
// server's ("server ADDR").
func isEcho(r *load.Result) bool { return strings.HasPrefix(r.Label, "echo") }

// QueryCharts draws a query result: the latency distribution of all
// requests, one line per server ("latency-cdf"), and the server's
// per-method percentiles ("methods"). server names the Electrum server
// in the charts ("amberd").
func QueryCharts(q *Query, server string) ([]Chart, error) {
	main := q.Results[0]
	var servers int
	for _, r := range q.Results {
		if !isEcho(r) {
			servers++
		}
	}
	for _, r := range q.Results {
		if !isEcho(r) {
			main = r
			break
		}
	}
	name := func(r *load.Result) string {
		switch {
		case isEcho(r):
			return "echo server"
		case servers == 1 && server != "":
			return server
		}
		return r.Label
	}
	cdfChart, err := queryCDF(q, main, name)
	if err != nil {
		return nil, err
	}
	methods, err := queryMethods(main, name(main))
	if err != nil {
		return nil, err
	}
	return []Chart{cdfChart, methods}, nil
}

// runDesc says what was run: "50 sessions, 10 s, chain height 200".
func runDesc(r *load.Result, withHeight bool) string {
	s := fmt.Sprintf("%s sessions, %s s", pyfmt.Thousands(int64(r.Sessions)), num(r.Elapsed.Seconds()))
	if r.Pace > 0 {
		s += fmt.Sprintf(", paced %s ms", num(float64(r.Pace)/1e6))
	}
	if withHeight && r.ChainHeight > 0 {
		s += fmt.Sprintf(", chain height %s", pyfmt.Thousands(r.ChainHeight))
	}
	return s
}

func queryCDF(q *Query, main *load.Result, name func(*load.Result) string) (Chart, error) {
	title := "Query latency, all requests"
	p := newPlot(title+"\n"+runDesc(main, !isEcho(main)), "latency (ms, log scale)", "percentile of requests")
	var cs []cdf
	var lines []*plotter.Line
	var labels []string
	for _, r := range q.Results {
		c := newCDF(r.All, r.Histogram)
		if c.count == 0 {
			continue
		}
		l, err := plotter.NewLine(c.xys)
		if err != nil {
			return Chart{}, fmt.Errorf("charts: %s: %w", r.Label, err)
		}
		l.LineStyle = seriesStyle(len(lines))
		label := fmt.Sprintf("%s: %s req/s, p99 %s ms", name(r), num(r.Rate), num(float64(r.All.P99)/1e6))
		if isEcho(r) && !isEcho(main) && r.Rate > 0 {
			label += fmt.Sprintf(" (%s at %s%%)", name(main), num(100*main.Rate/r.Rate))
		}
		if !c.exact {
			label += " [p50/p99/p99.9/max only]"
		}
		cs, lines, labels = append(cs, c), append(lines, l), append(labels, clean(label))
	}
	if len(cs) == 0 {
		return Chart{}, bad("query: no latency samples to chart")
	}
	lo, hi, top := bounds(cs)
	p.Legend.Top, p.Legend.Left = true, true // high percentiles at low latency: empty but for the tightest distributions
	logAxis(&p.X, lo, hi)
	percentileAxis(&p.Y, top)
	for i, l := range lines {
		p.Add(l)
		p.Legend.Add(labels[i], l)
	}
	svg, err := render(p, Width, height)
	return Chart{Name: "latency-cdf", Title: title, SVG: svg}, err
}

// queryMethods draws p50, p99 and p99.9 of each method of r on a log
// scale, one row per method (the most frequent at the top).
func queryMethods(r *load.Result, name string) (Chart, error) {
	var rows []load.MethodResult
	for _, m := range r.Methods {
		if m.Count > 0 {
			rows = append(rows, m)
		}
	}
	if len(rows) == 0 {
		return Chart{}, bad("query: %s: no per-method figures", r.Label)
	}
	title := fmt.Sprintf("%s latency per method", name)
	p := newPlot(fmt.Sprintf("%s: p50, p99, p99.9\n%s, %s requests", title, runDesc(r, !isEcho(r)), pyfmt.Thousands(r.Requests)),
		"latency (ms, log scale)", "")
	n := len(rows)
	names := make([]string, n)
	var p50, p99, p999 plotter.XYs
	lo, hi := ms(GetHistoryTarget), ms(GetHistoryTarget)
	for i, m := range rows {
		y := float64(n - 1 - i)
		names[n-1-i] = clean(strings.TrimPrefix(m.Method, "blockchain."))
		a, b, c := ms(m.P50), ms(m.P99), ms(m.P999)
		p50, p99, p999 = append(p50, plotter.XY{X: a, Y: y}), append(p99, plotter.XY{X: b, Y: y}), append(p999, plotter.XY{X: c, Y: y})
		lo, hi = min(lo, a, b, c), max(hi, a, b, c)
		bar, err := plotter.NewLine(plotter.XYs{{X: min(a, b, c), Y: y}, {X: max(a, b, c), Y: y}})
		if err != nil {
			return Chart{}, err
		}
		bar.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1)}
		p.Add(bar)
	}
	p.NominalY(names...)
	logAxis(&p.X, lo, hi)
	// Two empty rows at the top hold the legend.
	p.Y.Min, p.Y.Max = -0.6, float64(n-1)+2.6
	target, err := targetLine(ms(GetHistoryTarget), p.Y.Min, p.Y.Max)
	if err != nil {
		return Chart{}, err
	}
	p.Add(target)
	for i, s := range []struct {
		label string
		xys   plotter.XYs
		shape draw.GlyphDrawer
	}{{"p50", p50, draw.CircleGlyph{}}, {"p99", p99, draw.TriangleGlyph{}}, {"p99.9", p999, draw.CrossGlyph{}}} {
		sc, err := plotter.NewScatter(s.xys)
		if err != nil {
			return Chart{}, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[[]int{0, 1, 6}[i]], Radius: vg.Points(3.5), Shape: s.shape}
		p.Add(sc)
		p.Legend.Add(s.label, sc)
	}
	p.Legend.Add(fmt.Sprintf("target: get_history p99 < %s ms", num(ms(GetHistoryTarget))), target)
	p.Legend.Top = true
	h := vg.Points(130) + vg.Points(24)*vg.Length(n+3)
	svg, err := render(p, Width, max(h, height))
	return Chart{Name: "methods", Title: title, SVG: svg}, err
}
