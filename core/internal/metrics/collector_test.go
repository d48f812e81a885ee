package metrics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fakeSessions = []SessionInfo{
	{Kind: "tcp", Cost: 5, ConcurrencyTarget: 10},
	{Kind: "tcp", Cost: 1500, ConcurrencyTarget: 7, Throttled: true},
	{Kind: "tcp", Cost: 20000, ConcurrencyTarget: 0, Throttled: true},
	{Kind: "ssl", Cost: 100, ConcurrencyTarget: 10},
	{Kind: "", Cost: 0, ConcurrencyTarget: 10},
}

var fakeStatus = IndexStatus{
	DBHeight: 812345, DaemonHeight: 812350, MempoolTxs: 4321, MempoolBytes: 9876543,
	Synced: true, TxCount: 99999, Reorgs: 3, Halted: false,
	SyncTxRate: 15234.5, SyncBlockRate: 12.5, SyncPercent: 99.99, SyncETA: 90 * time.Second,
}

var fakePlugins = []PluginInfo{
	{Name: "btcd", Running: true, Restarts: 2},
	{Name: "bmm", Running: false, Restarts: 7},
	{Name: "btcd", Running: false, Restarts: 100}, // duplicate: ignored
}

func fakeOptions() Options {
	return Options{
		Sessions:         SessionsFunc(func() []SessionInfo { return fakeSessions }),
		Index:            IndexFunc(func() IndexStatus { return fakeStatus }),
		Plugins:          PluginsFunc(func() []PluginInfo { return fakePlugins }),
		SessionKinds:     []string{"tcp", "wss"},
		NoRuntimeMetrics: true,
	}
}

func TestCollectSessions(t *testing.T) {
	fams := families(t, New(fakeOptions()))
	type agg struct {
		n, throttled, conc float64
		sum                float64
		costs              []float64
	}
	want := map[string]*agg{"tcp": {}, "wss": {}}
	for _, s := range fakeSessions {
		k := s.Kind
		if k == "" {
			k = unknownKind
		}
		if want[k] == nil {
			want[k] = &agg{}
		}
		a := want[k]
		a.n++
		a.conc += float64(s.ConcurrencyTarget)
		a.sum += s.Cost
		a.costs = append(a.costs, s.Cost)
		if s.Throttled {
			a.throttled++
		}
	}
	for kind, a := range want {
		lk := l("kind", kind)
		if got := value(t, fams, "amber_sessions", lk); got != a.n {
			t.Errorf("sessions{%s} = %v, want %v", kind, got, a.n)
		}
		if got := value(t, fams, "amber_sessions_throttled", lk); got != a.throttled {
			t.Errorf("sessions_throttled{%s} = %v, want %v", kind, got, a.throttled)
		}
		if got := value(t, fams, "amber_sessions_concurrency_target", lk); got != a.conc {
			t.Errorf("concurrency_target{%s} = %v, want %v", kind, got, a.conc)
		}
		h := find(fams, "amber_session_cost", lk).GetHistogram()
		if float64(h.GetSampleCount()) != a.n || h.GetSampleSum() != a.sum {
			t.Errorf("session_cost{%s} count/sum = %d/%v, want %v/%v", kind, h.GetSampleCount(), h.GetSampleSum(), a.n, a.sum)
		}
		for _, ub := range DefaultCostBuckets {
			var n uint64
			for _, c := range a.costs {
				if c <= ub {
					n++
				}
			}
			if got := bucketCount(t, h, ub); got != n {
				t.Errorf("session_cost{%s} le=%g = %d, want %d", kind, ub, got, n)
			}
		}
	}
	if n := len(fams["amber_sessions"].GetMetric()); n != len(want) {
		t.Errorf("amber_sessions has %d kinds, want %d", n, len(want))
	}
}

func TestCollectIndexAndPlugins(t *testing.T) {
	fams := families(t, New(fakeOptions()))
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for name, want := range map[string]float64{
		"amber_index_height":         float64(fakeStatus.DBHeight),
		"amber_daemon_height":        float64(fakeStatus.DaemonHeight),
		"amber_mempool_transactions": float64(fakeStatus.MempoolTxs),
		"amber_mempool_bytes":        float64(fakeStatus.MempoolBytes),
		"amber_index_synced":         b(fakeStatus.Synced),
		"amber_index_halted":         b(fakeStatus.Halted),
		"amber_index_transactions":   float64(fakeStatus.TxCount),
		"amber_index_reorgs_total":   float64(fakeStatus.Reorgs),

		"amber_index_sync_transactions_per_second": fakeStatus.SyncTxRate,
		"amber_index_sync_blocks_per_second":       fakeStatus.SyncBlockRate,
		"amber_index_sync_percent":                 fakeStatus.SyncPercent,
		"amber_index_sync_eta_seconds":             90,
	} {
		if got := value(t, fams, name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if fams["amber_index_reorgs_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("index_reorgs_total is not a counter")
	}
	firstSeen := map[string]PluginInfo{}
	for _, p := range fakePlugins {
		if _, ok := firstSeen[p.Name]; !ok {
			firstSeen[p.Name] = p
		}
	}
	for name, p := range firstSeen {
		if got := value(t, fams, "amber_plugin_up", l("plugin", name)); got != b(p.Running) {
			t.Errorf("plugin_up{%s} = %v, want %v", name, got, b(p.Running))
		}
		if got := value(t, fams, "amber_plugin_restarts_total", l("plugin", name)); got != float64(p.Restarts) {
			t.Errorf("plugin_restarts_total{%s} = %v, want %v", name, got, p.Restarts)
		}
	}
	if fams["amber_plugin_restarts_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("plugin_restarts_total is not a counter")
	}
}

// TestSourcesReadAtScrape checks values follow the sources between scrapes.
func TestSourcesReadAtScrape(t *testing.T) {
	st := IndexStatus{DBHeight: 1}
	m := New(Options{Index: IndexFunc(func() IndexStatus { return st }), NoRuntimeMetrics: true})
	for _, h := range []int64{1, 2, 500} {
		st.DBHeight = h
		if got := value(t, families(t, m), "amber_index_height", nil); got != float64(h) {
			t.Errorf("index_height = %v, want %d", got, h)
		}
	}
}

func TestNilSourcesExportNothing(t *testing.T) {
	fams := families(t, New(Options{NoRuntimeMetrics: true}))
	for _, name := range []string{"amber_sessions", "amber_index_height", "amber_plugin_up", "amber_session_cost"} {
		if fams[name] != nil {
			t.Errorf("%s exported without a source", name)
		}
	}
}

func TestInvalidLabelValuesDoNotPanic(t *testing.T) {
	m := New(Options{
		Sessions:         SessionsFunc(func() []SessionInfo { return []SessionInfo{{Kind: "t\xffcp"}} }),
		Plugins:          PluginsFunc(func() []PluginInfo { return []PluginInfo{{Name: "\xfe"}, {Name: ""}} }),
		NoRuntimeMetrics: true,
	})
	m.ObserveRequest("t\xffcp", "x", 0, time.Millisecond)
	fams := families(t, m)
	if got := len(fams["amber_plugin_up"].GetMetric()); got != 2 {
		t.Errorf("plugin_up has %d series, want 2", got)
	}
}

// TestExpositionGolden pins the text exposition of the amber_ metrics for
// fixed inputs (names, help, types, labels, buckets).
func TestExpositionGolden(t *testing.T) {
	m := New(fakeOptions())
	m.ObserveRequest("tcp", "server.version", 0, 300*time.Microsecond)
	m.ObserveRequest("tcp", "server.version", -32602, 2*time.Second)
	m.AddBytes(123, 4567)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), Namespace+"_") {
			if err := enc.Encode(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	golden := filepath.Join("testdata", "exposition.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("exposition differs from %s:\n%s", golden, buf.String())
	}
}
