package metrics

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var electrumMethods = []string{"server.version", "server.ping", "blockchain.scripthash.subscribe"}

func TestObserveRequest(t *testing.T) {
	type obs struct {
		kind, method string
		code         int
		dur          time.Duration
	}
	observations := []obs{
		{"tcp", "server.version", 0, 60 * time.Microsecond},
		{"tcp", "server.version", 0, 3 * time.Millisecond},
		{"ssl", "server.version", 0, 40 * time.Microsecond},
		{"tcp", "server.ping", -101, 2 * time.Second},
		{"tcp", "server.ping", -101, 40 * time.Second},
		{"ws", "server.ping", -102, time.Millisecond},
		{"tcp", "no.such.method", -32601, 30 * time.Microsecond},
		{"", "server.ping", 0, time.Millisecond},
	}
	m := New(Options{Methods: electrumMethods, NoRuntimeMetrics: true})
	wantReq := map[[2]string]float64{}
	wantErr := map[[3]string]float64{}
	wantLat := map[string]uint64{}
	wantSum := map[string]float64{}
	label := func(method string) string {
		for _, k := range electrumMethods {
			if k == method {
				return method
			}
		}
		return InvalidMethod
	}
	for _, o := range observations {
		m.ObserveRequest(o.kind, o.method, o.code, o.dur)
		kind := o.kind
		if kind == "" {
			kind = unknownKind
		}
		meth := label(o.method)
		wantReq[[2]string{kind, meth}]++
		if o.code != 0 {
			wantErr[[3]string{kind, meth, strconv.Itoa(o.code)}]++
		}
		wantLat[meth]++
		wantSum[meth] += o.dur.Seconds()
	}
	fams := families(t, m)
	for k, want := range wantReq {
		if got := value(t, fams, "amber_requests_total", l("kind", k[0], "method", k[1])); got != want {
			t.Errorf("requests_total{%v} = %v, want %v", k, got, want)
		}
	}
	if got := len(fams["amber_requests_total"].GetMetric()); got != len(wantReq) {
		t.Errorf("requests_total has %d series, want %d", got, len(wantReq))
	}
	for k, want := range wantErr {
		if got := value(t, fams, "amber_request_errors_total", l("kind", k[0], "method", k[1], "code", k[2])); got != want {
			t.Errorf("request_errors_total{%v} = %v, want %v", k, got, want)
		}
	}
	if got := len(fams["amber_request_errors_total"].GetMetric()); got != len(wantErr) {
		t.Errorf("request_errors_total has %d series, want %d", got, len(wantErr))
	}
	for meth, want := range wantLat {
		h := find(fams, "amber_request_duration_seconds", l("method", meth)).GetHistogram()
		if h.GetSampleCount() != want {
			t.Errorf("latency{%s} count = %d, want %d", meth, h.GetSampleCount(), want)
		}
		if d := h.GetSampleSum() - wantSum[meth]; d > 1e-9 || d < -1e-9 {
			t.Errorf("latency{%s} sum = %v, want %v", meth, h.GetSampleSum(), wantSum[meth])
		}
	}
	// Bucket placement: 40 µs is in the first bucket (50 µs), 60 µs only
	// from 100 µs on; 40 s is above the last bucket (30 s).
	h := find(fams, "amber_request_duration_seconds", l("method", "server.version")).GetHistogram()
	if got := bucketCount(t, h, 50e-6); got != 1 {
		t.Errorf("server.version le=50µs = %d, want 1", got)
	}
	if got := bucketCount(t, h, 100e-6); got != 2 {
		t.Errorf("server.version le=100µs = %d, want 2", got)
	}
	h = find(fams, "amber_request_duration_seconds", l("method", "server.ping")).GetHistogram()
	if got := bucketCount(t, h, 30); got != h.GetSampleCount()-1 {
		t.Errorf("server.ping le=30s = %d, want all but the 40 s sample (%d)", got, h.GetSampleCount()-1)
	}
}

func TestDefaultLatencyBuckets(t *testing.T) {
	b := DefaultLatencyBuckets
	if b[0] > 50e-6 || b[len(b)-1] < 30 {
		t.Errorf("buckets %v do not span 50µs..30s", b)
	}
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Errorf("buckets not increasing at %d: %v", i, b)
		}
	}
}

func TestAddBytes(t *testing.T) {
	m := New(Options{NoRuntimeMetrics: true})
	var in, out float64
	for _, p := range [][2]int{{10, 200}, {0, 5}, {7, 0}, {-3, -4}, {1 << 20, 1 << 21}} {
		m.AddBytes(p[0], p[1])
		in += float64(max(p[0], 0))
		out += float64(max(p[1], 0))
	}
	fams := families(t, m)
	if got := value(t, fams, "amber_received_bytes_total", nil); got != in {
		t.Errorf("received = %v, want %v", got, in)
	}
	if got := value(t, fams, "amber_sent_bytes_total", nil); got != out {
		t.Errorf("sent = %v, want %v", got, out)
	}
}

// TestMethodCardinality feeds many distinct method names and checks the
// method label set stays bounded in every mode.
func TestMethodCardinality(t *testing.T) {
	known := map[string]bool{"a.known": true, "b.known": true}
	tests := []struct {
		name      string
		opts      Options
		wantMax   int // distinct non-invalid method labels
		wantLabel []string
	}{
		{"KnownMethods", Options{KnownMethods: func(s string) bool { return known[s] }}, 2, []string{"a.known", "b.known"}},
		{"Methods", Options{Methods: []string{"a.known"}}, 1, []string{"a.known"}},
		{"bounded dynamic", Options{MaxMethods: 5}, 5, []string{"a.known", "b.known"}},
		{"default bound", Options{}, DefaultMaxMethods, []string{"a.known"}},
	}
	junk := []string{"", "\xff\xfe", string(make([]byte, maxMethodLen+1))}
	for i := range 500 {
		junk = append(junk, fmt.Sprintf("junk.%d", i))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.NoRuntimeMetrics = true
			m := New(tc.opts)
			m.ObserveRequest("tcp", "a.known", 0, time.Millisecond)
			m.ObserveRequest("tcp", "b.known", 0, time.Millisecond)
			for _, j := range junk {
				m.ObserveRequest("tcp", j, 1, time.Millisecond)
			}
			fams := families(t, m)
			for _, name := range []string{"amber_requests_total", "amber_request_errors_total", "amber_request_duration_seconds"} {
				got := labelValues(fams, name, "method")
				if !got[InvalidMethod] {
					t.Errorf("%s: no %q label", name, InvalidMethod)
				}
				if n := len(got) - 1; n > tc.wantMax {
					t.Errorf("%s: %d method labels, bound %d", name, n, tc.wantMax)
				}
			}
			for _, w := range tc.wantLabel {
				if value(t, fams, "amber_requests_total", l("kind", "tcp", "method", w)) != 1 {
					t.Errorf("method %q not counted once", w)
				}
			}
			var total float64
			for _, mt := range fams["amber_requests_total"].GetMetric() {
				total += mt.GetCounter().GetValue()
			}
			if want := float64(2 + len(junk)); total != want {
				t.Errorf("requests total = %v, want %v (nothing lost)", total, want)
			}
		})
	}
}

func TestNilMetricsIsNoop(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("tcp", "server.ping", 0, time.Millisecond)
	m.AddBytes(1, 2)
	if m.Registry() != nil {
		t.Error("nil Metrics has a registry")
	}
	if m.Handler() == nil {
		t.Error("nil Metrics has no handler")
	}
	if err := m.Serve(t.Context(), "127.0.0.1:0"); err == nil {
		t.Error("nil Metrics serves")
	}
}

func TestOwnRegistry(t *testing.T) {
	m := New(Options{})
	m.ObserveRequest("tcp", "server.ping", 0, time.Millisecond)
	fams, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "amber_requests_total" {
			t.Fatal("amber metrics leaked into the global registry")
		}
	}
	// Two instances must not collide (the global registry would panic).
	m2 := New(Options{})
	m2.ObserveRequest("tcp", "server.ping", 0, time.Millisecond)
	own := families(t, m)
	if own["go_goroutines"] == nil || own["process_start_time_seconds"] == nil {
		t.Error("runtime collectors missing")
	}
	if v := value(t, own, "amber_requests_total", l("kind", "tcp", "method", "server.ping")); v != 1 {
		t.Errorf("first instance counts %v, want 1", v)
	}
}

func TestConcurrentObserve(t *testing.T) {
	m := New(Options{MaxMethods: 8, NoRuntimeMetrics: true})
	const workers, per = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				m.ObserveRequest("tcp", fmt.Sprintf("m.%d", (w+i)%16), i%3, time.Microsecond)
				m.AddBytes(1, 2)
			}
		})
	}
	wg.Wait()
	fams := families(t, m)
	var total float64
	for _, mt := range fams["amber_requests_total"].GetMetric() {
		total += mt.GetCounter().GetValue()
	}
	if total != workers*per {
		t.Errorf("requests = %v, want %d", total, workers*per)
	}
	if n := len(labelValues(fams, "amber_requests_total", "method")); n > 9 {
		t.Errorf("%d method labels, bound 8 + invalid", n)
	}
	if got := value(t, fams, "amber_sent_bytes_total", nil); got != 2*workers*per {
		t.Errorf("sent = %v", got)
	}
}

func TestObserveRequestAllocFree(t *testing.T) {
	m := New(Options{Methods: electrumMethods, NoRuntimeMetrics: true})
	m.ObserveRequest("tcp", "server.ping", -101, time.Millisecond) // warm the caches
	n := testing.AllocsPerRun(1000, func() {
		m.ObserveRequest("tcp", "server.ping", -101, time.Millisecond)
		m.ObserveRequest("tcp", "bogus", 0, time.Millisecond)
		m.AddBytes(10, 20)
	})
	if n != 0 {
		t.Errorf("ObserveRequest allocates %v times per call", n)
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	known := map[string]bool{}
	for _, k := range electrumMethods {
		known[k] = true
	}
	m := New(Options{KnownMethods: func(s string) bool { return known[s] }, NoRuntimeMetrics: true})
	b.Run("success", func(b *testing.B) {
		for b.Loop() {
			m.ObserveRequest("tcp", "blockchain.scripthash.subscribe", 0, 250*time.Microsecond)
		}
	})
	b.Run("error", func(b *testing.B) {
		for b.Loop() {
			m.ObserveRequest("tcp", "server.ping", -101, 250*time.Microsecond)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.ObserveRequest("ssl", "server.version", 0, time.Millisecond)
			}
		})
	})
}
