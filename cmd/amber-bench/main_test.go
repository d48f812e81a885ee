package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/echo"
)

// query against the in-process echo server only, end to end through the
// command line.
func TestQueryEcho(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := dispatch(ctx, []string{"query", "-server", "", "-echo", "-sessions", "8", "-requests", "500", "-quiet", "-json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Label    string
			Requests int64
			Errors   map[string]int64
			Methods  []struct {
				Method string
				Count  int64
			}
			All struct {
				Count int64
				P50   int64 `json:"p50_ns"`
				P99   int64 `json:"p99_ns"`
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(rep.Results) != 1 || !strings.HasPrefix(rep.Results[0].Label, "echo ") {
		t.Fatalf("results: %+v", rep.Results)
	}
	r := rep.Results[0]
	if r.Requests != 500 || r.All.Count != 500 || len(r.Errors) != 0 || r.All.P50 <= 0 || r.All.P99 < r.All.P50 {
		t.Fatalf("result: %+v", r)
	}
	methods := map[string]int64{}
	for _, m := range r.Methods {
		methods[m.Method] = m.Count
	}
	if n := methods["server.version"]; n < 1 || n > 8 {
		t.Fatalf("server.version sent %d times by 8 sessions", n)
	}
	if len(methods) != 11 {
		t.Fatalf("%d methods in the mix, want 11: %v", len(methods), methods)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"query", "-server", "10.0.0.1:50001", "-requests", "1", "-quiet"},
		{"flood", "-server", "192.168.1.1:50001", "-targets", "x.json", "-quiet"},
		{"chain", "-daemon", "u:p@10.1.1.1:18443"},
	} {
		err := dispatch(ctx, args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "only 127.0.0.1") {
			t.Errorf("%v: err = %v, want a loopback refusal", args, err)
		}
	}
}

// flood end to end against an echo server standing in for amberd (it never
// throttles, so only the plumbing is checked).
func TestFloodEcho(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := echo.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := synthTargets(10, 1)
	f.Heavy = f.Scripts[3].ScriptHash
	path := filepath.Join(t.TempDir(), "chain.json")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range [][]string{nil, {"-separate", "-settle", "10ms"}} {
		var out bytes.Buffer
		args := append([]string{"flood", "-server", srv.Addr(), "-targets", path, "-check=false", "-clients", "5",
			"-pace", "10ms", "-phase", "300ms", "-depth", "4", "-quiet", "-json"}, mode...)
		if err := dispatch(ctx, args, &out); err != nil {
			t.Fatal(err)
		}
		var rep floodReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Baseline.Requests == 0 || rep.WithFlood.Requests == 0 || rep.WellBehavedErrors != 0 {
			t.Fatalf("%v: well-behaved %d/%d requests, %d errors", mode, rep.Baseline.Requests, rep.WithFlood.Requests, rep.WellBehavedErrors)
		}
		if rep.Flooder.Answered == 0 || rep.Flooder.ScriptHash != f.Heavy || rep.Flooder.Excessive != nil {
			t.Fatalf("%v: flooder %+v", mode, rep.Flooder)
		}
	}
}

// flagErrorCase is a command line that must fail with an error containing
// want.
type flagErrorCase struct {
	args []string
	want string
}

func checkFlagErrors(t *testing.T, cases []flagErrorCase) {
	t.Helper()
	for _, tc := range cases {
		err := dispatch(context.Background(), tc.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
