package load

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/echo"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/mix"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
)

func TestAnalyse(t *testing.T) {
	ms := time.Millisecond
	steady := func(n int, from time.Duration, lat time.Duration) []sample {
		var out []sample
		for i := range n {
			out = append(out, sample{at: from + time.Duration(i)*10*ms, lat: lat})
		}
		return out
	}
	tests := []struct {
		name         string
		samples      []sample
		answered     int64
		throttledAt  int64 // -1: never
		excessiveAt  int64
		disconnectAt int64
		errors       int64
	}{
		{"steady", steady(100, 0, 5*ms), 100, -1, -1, -1, 0},
		{"jump", append(steady(50, 0, 5*ms), steady(50, 500*ms, 40*ms)...), 100, 59, -1, -1, 0},
		{"small wobble is no jump", append(steady(50, 0, 5*ms), steady(50, 500*ms, 12*ms)...), 100, -1, -1, -1, 0},
		{"-101 then closed", append(steady(45, 0, 5*ms),
			sample{at: 2 * time.Second, lat: ms, err: "-101"}, sample{at: 2*time.Second + ms, err: "closed"}), 45, -1, 45, 46, 2},
		{"too few answers to judge", steady(10, 0, ms), 10, -1, -1, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyse(tt.samples, 3)
			if r.Answered != tt.answered {
				t.Errorf("answered %d, want %d", r.Answered, tt.answered)
			}
			check := func(what string, e *Event, want int64) {
				if (e == nil) != (want < 0) || (e != nil && e.Request != want) {
					t.Errorf("%s = %+v, want request %d", what, e, want)
				}
			}
			check("throttled", r.Throttled, tt.throttledAt)
			check("excessive", r.Excessive, tt.excessiveAt)
			check("disconnected", r.Disconnected, tt.disconnectAt)
			var n, perSec int64
			for _, c := range r.Errors {
				n += c
			}
			for _, s := range r.PerSecond {
				perSec += s.Answered
			}
			if n != tt.errors || perSec != tt.answered {
				t.Errorf("errors %d (want %d), per-second answers %d (want %d)", n, tt.errors, perSec, tt.answered)
			}
		})
	}
}

func echoTargets() mix.Config {
	var cfg mix.Config
	cfg.Height = 10
	for i := range 5 {
		s := targets.Script{ScriptHash: strings.Repeat(string(rune('a'+i)), 64), History: 1,
			Sample: []targets.Entry{{TxHash: strings.Repeat("1", 64), Height: 3}}}
		cfg.Scripts = append(cfg.Scripts, s)
	}
	return cfg
}

func TestRunAgainstEcho(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := echo.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r, err := Run(ctx, Options{Label: "echo", Addr: srv.Addr(), Sessions: 4, Requests: 400, Mix: echoTargets()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 400 || r.All.Count != 400 || r.ErrorCount() != 0 {
		t.Fatalf("requests %d, samples %d, errors %v", r.Requests, r.All.Count, r.Errors)
	}
	var sum int64
	seen := map[string]bool{}
	for _, m := range r.Methods {
		sum += m.Count
		seen[m.Method] = true
	}
	if sum != 400 || !seen[mix.Version] || !seen[mix.Merkle] || !seen[mix.Ping] {
		t.Fatalf("per-method counts sum to %d; methods %v", sum, seen)
	}
	// The histograms carry every sample: overall and per method.
	hsum := func(bs []latency.Bucket) (n int64) {
		for _, b := range bs {
			n += b.Count
		}
		return n
	}
	if n := hsum(r.Histogram); n != 400 || r.Histogram[len(r.Histogram)-1].LE != r.All.Max {
		t.Fatalf("overall histogram holds %d samples, top %v (max %v)", n, r.Histogram[len(r.Histogram)-1].LE, r.All.Max)
	}
	for _, m := range r.Methods {
		if n := hsum(m.Histogram); n != m.Count {
			t.Fatalf("%s histogram holds %d samples, count %d", m.Method, n, m.Count)
		}
	}
	if r.ChainHeight != echoTargets().Height {
		t.Fatalf("chain height %d, want %d", r.ChainHeight, echoTargets().Height)
	}
	// With checks on, echoed params are wrong answers for history requests.
	r, err = Run(ctx, Options{Addr: srv.Addr(), Sessions: 1, Requests: 20, Mix: echoTargets(), Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors["check"] == 0 || r.FirstCheckFailure == "" {
		t.Fatalf("no check failures against an echo server: %+v", r.Errors)
	}
}

func TestFloodEcho(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := echo.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Flood(ctx, FloodOptions{Addr: srv.Addr(), ScriptHash: strings.Repeat("a", 64), Depth: 4, Requests: 300})
	if err != nil {
		t.Fatal(err)
	}
	if r.Answered != 300 || r.Sent != 300 || r.Disconnected != nil || r.Excessive != nil {
		t.Fatalf("flood against echo: %+v", r)
	}
	srv.Close()
	// The server going away ends the flood with a disconnection.
	srv2, err := echo.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		srv2.Close()
	}()
	r, err = Flood(ctx, FloodOptions{Addr: srv2.Addr(), ScriptHash: strings.Repeat("a", 64), Depth: 2, Duration: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Disconnected == nil {
		t.Fatalf("no disconnection seen: %+v", r)
	}
}

func TestRunPhases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := echo.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rs, err := RunPhases(ctx, Options{Label: "p", Addr: srv.Addr(), Sessions: 3, Duration: 600 * time.Millisecond,
		Pace: 5 * time.Millisecond, Mix: echoTargets()}, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Label != "p" || rs[1].Label != "p (phase 2)" {
		t.Fatalf("phases: %+v", rs)
	}
	for i, r := range rs {
		if r.Requests == 0 || r.All.Count != r.Requests || r.ErrorCount() != 0 {
			t.Errorf("phase %d: %d requests, %d samples, errors %v", i+1, r.Requests, r.All.Count, r.Errors)
		}
	}
}
