package charts

import (
	"fmt"

	"github.com/amber-electrum/amber/core/pyfmt"
	"gonum.org/v1/plot/plotter"
)

const mib = 1 << 20

// SyncCharts draws a sync result: the height reached over time by the raw
// block fetch and by amberd ("sync-height"), and amberd's RSS over time
// ("sync-rss", when the series has RSS figures).
func SyncCharts(s *Sync) ([]Chart, error) {
	title := "Sync from scratch: height over time"
	sub := fmt.Sprintf("chain height %s, %s txs", pyfmt.Thousands(s.Chain.Height), pyfmt.Thousands(s.Chain.Txs))
	if s.Chain.Bytes > 0 {
		sub += fmt.Sprintf(", %s MiB", num(float64(s.Chain.Bytes)/mib))
	}
	sub += fmt.Sprintf("\namberd %s blocks/s = %s%% of the raw fetch's %s blocks/s",
		num(s.Amberd.BlocksPerS), num(100*s.Ratio), num(s.RawFetch.BlocksPerS))
	p := newPlot(title+"\n"+sub, "time since start (s)", "height reached (blocks)")
	var tMax, hMax float64
	for i, run := range []struct {
		label string
		r     *SyncRun
	}{
		{fmt.Sprintf("raw block fetch from the daemon: %s s", num(s.RawFetch.Elapsed.Seconds())), &s.RawFetch},
		{fmt.Sprintf("amberd indexing: %s s", num(s.Amberd.Elapsed.Seconds())), &s.Amberd},
	} {
		if len(run.r.Series) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(run.r.Series))
		for j, pt := range run.r.Series {
			xys[j] = plotter.XY{X: pt.T, Y: float64(pt.Height)}
			tMax, hMax = max(tMax, pt.T), max(hMax, float64(pt.Height))
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("charts: sync series: %w", err)
		}
		l.LineStyle = seriesStyle(i)
		p.Add(l)
		p.Legend.Add(clean(run.label), l)
	}
	linearAxis(&p.X, 0, tMax)
	linearAxis(&p.Y, 0, hMax)
	svg, err := render(p, Width, height)
	if err != nil {
		return nil, err
	}
	out := []Chart{{Name: "sync-height", Title: title, SVG: svg}}

	xys := plotter.XYs{}
	var rMax float64
	for _, pt := range s.Amberd.Series {
		if pt.RSSBytes > 0 {
			xys = append(xys, plotter.XY{X: pt.T, Y: float64(pt.RSSBytes) / mib})
			rMax = max(rMax, float64(pt.RSSBytes)/mib)
		}
	}
	if len(xys) == 0 {
		return out, nil
	}
	title = "amberd memory during the sync"
	sub = fmt.Sprintf("to height %s: peak RSS %s MiB", pyfmt.Thousands(s.Chain.Height), num(max(float64(s.Amberd.PeakRSSBytes)/mib, rMax)))
	if s.Amberd.IndexBytes > 0 {
		sub += fmt.Sprintf(", index %s MiB on disk", num(float64(s.Amberd.IndexBytes)/mib))
	}
	p = newPlot(title+"\n"+sub, "time since start (s)", "resident set size (MiB)")
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, fmt.Errorf("charts: sync RSS series: %w", err)
	}
	l.LineStyle = seriesStyle(1)
	p.Add(l)
	p.Legend.Add("amberd RSS", l)
	linearAxis(&p.X, 0, tMax)
	linearAxis(&p.Y, 0, rMax*1.05)
	if svg, err = render(p, Width, height); err != nil {
		return nil, err
	}
	return append(out, Chart{Name: "sync-rss", Title: title, SVG: svg}), nil
}
