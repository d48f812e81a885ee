package charts

import (
	"fmt"
	"time"

	"github.com/amber-electrum/amber/core/pyfmt"
	"gonum.org/v1/plot/plotter"
)

// NotifyTarget is issue #5's target: every session notified within 1 s of
// the block.
const NotifyTarget = time.Second

// SubscribeCharts draws a subscribe result: per event, the distribution
// over sessions of the time from the event to the session's last
// notification ("subscribe-cdf").
func SubscribeCharts(s *Subscribe) ([]Chart, error) {
	title := "Notification latency over sessions"
	sub := fmt.Sprintf("%s sessions × %s subscriptions; from the event to a session's last notification",
		pyfmt.Thousands(s.Sessions), pyfmt.Thousands(s.SubsPerSession))
	if s.Memory.PerSessionBytes > 0 {
		sub += fmt.Sprintf("\n%s KiB RSS per idle session", num(s.Memory.PerSessionBytes/1024))
	}
	p := newPlot(title+"\n"+sub, "latency (ms, log scale)", "percentile of sessions")
	var cs []cdf
	var lines []*plotter.Line
	var labels []string
	for _, e := range s.Events {
		c := newCDF(e.Latency, e.Histogram)
		if c.count == 0 {
			continue
		}
		l, err := plotter.NewLine(c.xys)
		if err != nil {
			return nil, fmt.Errorf("charts: subscribe event: %w", err)
		}
		l.LineStyle = seriesStyle(len(lines))
		label := e.Kind
		if e.Height > 0 {
			label += fmt.Sprintf(" %d", e.Height)
		}
		label += fmt.Sprintf(": %s/%s notified, p99 %s ms, max %s ms", pyfmt.Thousands(e.Notified), pyfmt.Thousands(e.Sessions),
			num(ms(e.Latency.P99)), num(ms(e.Latency.Max)))
		if !c.exact {
			label += " [percentiles only]"
		}
		cs, lines, labels = append(cs, c), append(lines, l), append(labels, clean(label))
	}
	if len(cs) == 0 {
		return nil, bad("subscribe: no latency samples to chart")
	}
	lo, hi, top := bounds(cs)
	p.Legend.Top, p.Legend.Left = true, true // high percentiles at low latency: empty but for the tightest distributions
	target := ms(NotifyTarget)
	logAxis(&p.X, min(lo, target), max(hi, target))
	percentileAxis(&p.Y, top)
	for i, l := range lines {
		p.Add(l)
		p.Legend.Add(labels[i], l)
	}
	t, err := targetLine(target, p.Y.Min, p.Y.Max)
	if err != nil {
		return nil, err
	}
	p.Add(t)
	p.Legend.Add("target: all within 1 s", t)
	svg, err := render(p, Width, height)
	if err != nil {
		return nil, err
	}
	return []Chart{{Name: "subscribe-cdf", Title: title, SVG: svg}}, nil
}
