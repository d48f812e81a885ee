package charts

import (
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/core/pyfmt"
	"gonum.org/v1/plot/plotter"
)

// EngineCharts compares sync runs of the same chain with different store
// engines: height over time ("sync-engines-height") and amberd's and its
// chain plugin's RSS over time ("sync-engines-rss"), one line per run.
func EngineCharts(runs []*Sync) ([]Chart, error) {
	if len(runs) == 0 {
		return nil, errors.New("charts: no sync runs to compare")
	}
	label := func(s *Sync) string {
		l := s.Engine.Engine
		if l == "" {
			l = "default engine"
		}
		if s.Engine.CacheMB > 0 {
			l += fmt.Sprintf(", cache_mb %d", s.Engine.CacheMB)
		}
		return l
	}
	c := runs[0].Chain
	sub := fmt.Sprintf("chain height %s, %s txs", pyfmt.Thousands(c.Height), pyfmt.Thousands(c.Txs))
	title := "Sync from scratch by engine: height over time"
	p := newPlot(title+"\n"+sub, "time since amberd's start (s)", "height indexed (blocks)")
	var tMax, hMax, rMax float64
	for i, s := range runs {
		xys := make(plotter.XYs, 0, len(s.Amberd.Series))
		for _, pt := range s.Amberd.Series {
			xys = append(xys, plotter.XY{X: pt.T, Y: float64(max(pt.Height, 0))})
			tMax, hMax = max(tMax, pt.T), max(hMax, float64(pt.Height))
			rMax = max(rMax, float64(pt.RSSBytes)/mib, float64(pt.PluginRSSBytes)/mib)
		}
		if len(xys) == 0 {
			return nil, fmt.Errorf("charts: run %d (%s) has no amberd series", i, label(s))
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("charts: engine series: %w", err)
		}
		l.LineStyle = seriesStyle(i)
		p.Add(l)
		p.Legend.Add(clean(fmt.Sprintf("%s: %s tx/s, %s s", label(s), num(s.Amberd.TxsPerS), num(s.Amberd.Elapsed.Seconds()))), l)
	}
	linearAxis(&p.X, 0, tMax)
	linearAxis(&p.Y, 0, hMax)
	svg, err := render(p, Width, height)
	if err != nil {
		return nil, err
	}
	out := []Chart{{Name: "sync-engines-height", Title: title, SVG: svg}}

	title = "Memory during the sync by engine"
	p = newPlot(title+"\n"+sub, "time since amberd's start (s)", "resident set size (MiB)")
	k := 0
	for _, s := range runs {
		for _, proc := range []struct {
			name string
			rss  func(SyncPoint) int64
		}{{"amberd", func(pt SyncPoint) int64 { return pt.RSSBytes }}, {"plugin", func(pt SyncPoint) int64 { return pt.PluginRSSBytes }}} {
			xys := plotter.XYs{}
			for _, pt := range s.Amberd.Series {
				if v := proc.rss(pt); v > 0 {
					xys = append(xys, plotter.XY{X: pt.T, Y: float64(v) / mib})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("charts: engine RSS series: %w", err)
			}
			l.LineStyle = seriesStyle(k)
			k++
			p.Add(l)
			p.Legend.Add(clean(fmt.Sprintf("%s, %s (peak %s MiB)", label(s), proc.name, num(peak(s, proc.name)))), l)
		}
	}
	if k == 0 {
		return out, nil
	}
	linearAxis(&p.X, 0, tMax)
	linearAxis(&p.Y, 0, rMax*1.05)
	if svg, err = render(p, Width, height); err != nil {
		return nil, err
	}
	return append(out, Chart{Name: "sync-engines-rss", Title: title, SVG: svg}), nil
}

// peak is the highest RSS of a run's process in MiB: amberd's recorded
// peak if higher than its samples.
func peak(s *Sync, proc string) float64 {
	var m int64
	for _, pt := range s.Amberd.Series {
		if proc == "amberd" {
			m = max(m, pt.RSSBytes)
		} else {
			m = max(m, pt.PluginRSSBytes)
		}
	}
	if proc == "amberd" {
		m = max(m, s.Amberd.PeakRSSBytes)
	}
	return float64(m) / mib
}
