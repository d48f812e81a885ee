package charts

import (
	"bytes"
	"strings"
	"testing"
)

func TestEngineCharts(t *testing.T) {
	if _, err := EngineCharts(nil); err == nil {
		t.Fatal("no runs: no error")
	}
	var runs []*Sync
	for i, e := range []string{"pebble", "buntdb"} {
		s, err := ParseSync(fixture(t, "sync.json"))
		if err != nil {
			t.Fatal(err)
		}
		s.Engine.Engine, s.Engine.CacheMB = e, 100*(i+1)
		for j := range s.Amberd.Series {
			s.Amberd.Series[j].PluginRSSBytes = int64(j+1) << 20
		}
		runs = append(runs, s)
	}
	a, err := EngineCharts(runs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EngineCharts(runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || a[0].Name != "sync-engines-height" || a[1].Name != "sync-engines-rss" {
		t.Fatalf("charts %v", a)
	}
	for i, c := range a {
		if err := wellFormed(c.SVG); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !bytes.Equal(c.SVG, b[i].SVG) {
			t.Fatalf("%s: two drawings differ", c.Name)
		}
		for _, want := range []string{"pebble, cache_mb 100", "buntdb, cache_mb 200"} {
			if !strings.Contains(string(c.SVG), want) {
				t.Errorf("%s: legend lacks %q", c.Name, want)
			}
		}
	}
	if !strings.Contains(string(a[1].SVG), "plugin") {
		t.Error("RSS chart has no plugin line")
	}
	runs[1].Amberd.Series = nil
	if _, err := EngineCharts(runs); err == nil {
		t.Fatal("a run without series: no error")
	}
}
