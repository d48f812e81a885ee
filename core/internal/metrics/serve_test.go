package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr        string
		allowRemote bool
		remote      bool // want ErrRemote
	}{
		{"127.0.0.1:9100", false, false},
		{"127.0.0.2:9100", false, false},
		{"[::1]:9100", false, false},
		{"localhost:9100", false, false},
		{":9100", false, true},
		{"0.0.0.0:9100", false, true},
		{"[::]:9100", false, true},
		{"10.0.0.1:9100", false, true},
		{"example.com:9100", false, true},
		{"127.0.0.1", false, true}, // no port: not a valid address
		{"0.0.0.0:9100", true, false},
		{":9100", true, false},
	}
	for _, tc := range tests {
		err := checkAddr(tc.addr, tc.allowRemote)
		if got := errors.Is(err, ErrRemote); got != tc.remote {
			t.Errorf("checkAddr(%q, %v) = %v, want remote=%v", tc.addr, tc.allowRemote, err, tc.remote)
		}
	}
}

func TestServeRefusesRemote(t *testing.T) {
	m := New(Options{NoRuntimeMetrics: true})
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := m.Serve(t.Context(), addr)
		if !errors.Is(err, ErrRemote) {
			t.Errorf("Serve(%q) = %v, want ErrRemote", addr, err)
		}
	}
}

// scrape GETs url and parses the text exposition.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, mt := range f.GetMetric() {
			key := name
			for _, lp := range mt.GetLabel() {
				key += "|" + lp.GetName() + "=" + lp.GetValue()
			}
			switch {
			case mt.Counter != nil:
				out[key] = mt.Counter.GetValue()
			case mt.Gauge != nil:
				out[key] = mt.Gauge.GetValue()
			case mt.Histogram != nil:
				out[key] = float64(mt.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func TestHandlerScrape(t *testing.T) {
	m := New(fakeOptions())
	m.ObserveRequest("tcp", "server.version", 0, time.Millisecond)
	m.ObserveRequest("tcp", "server.version", 0, time.Millisecond)
	m.ObserveRequest("tcp", "server.ping", -101, time.Millisecond)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	got := scrape(t, srv.URL)
	for key, want := range map[string]float64{
		"amber_requests_total|kind=tcp|method=server.version":              2,
		"amber_request_errors_total|code=-101|kind=tcp|method=server.ping": 1,
		"amber_request_duration_seconds|method=server.ping":                1,
		"amber_index_height":                              float64(fakeStatus.DBHeight),
		"amber_daemon_height":                             float64(fakeStatus.DaemonHeight),
		"amber_mempool_transactions":                      float64(fakeStatus.MempoolTxs),
		"amber_mempool_bytes":                             float64(fakeStatus.MempoolBytes),
		"amber_sessions|kind=tcp":                         3,
		"amber_sessions_throttled|kind=tcp":               2,
		"amber_plugin_up|plugin=btcd":                     1,
		"amber_plugin_restarts_total|plugin=bmm":          7,
		"promhttp_metric_handler_requests_total|code=200": 0, // this scrape is counted after it is served
	} {
		v, ok := got[key]
		if !ok {
			t.Errorf("exposition lacks %s", key)
		} else if v != want {
			t.Errorf("%s = %v, want %v", key, v, want)
		}
	}
	// A second scrape sees the first one counted.
	if v := scrape(t, srv.URL)["promhttp_metric_handler_requests_total|code=200"]; v != 1 {
		t.Errorf("handler requests after one scrape = %v, want 1", v)
	}
}

func TestServeListener(t *testing.T) {
	m := New(Options{NoRuntimeMetrics: true})
	m.AddBytes(42, 0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ln, err := m.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.ServeListener(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	if v := scrape(t, base+"/metrics")["amber_received_bytes_total"]; v != 42 {
		t.Errorf("received over HTTP = %v, want 42", v)
	}
	resp, err := http.Get(base + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other = %s, want 404", resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeListener after cancel = %v, want nil", err)
	}
	if _, err := http.Get(base + "/metrics"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	m := New(Options{NoRuntimeMetrics: true})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, "127.0.0.1:0") }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
}

func TestServePprofOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		m := New(Options{NoRuntimeMetrics: true, Pprof: on})
		ctx, cancel := context.WithCancel(t.Context())
		ln, err := m.Listen(ctx, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- m.ServeListener(ctx, ln) }()
		resp, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusNotFound
		if on {
			want = http.StatusOK
		}
		if resp.StatusCode != want {
			t.Errorf("Pprof=%v: GET /debug/pprof/goroutine = %s, want %d", on, resp.Status, want)
		}
		cancel()
		<-done
	}
}
