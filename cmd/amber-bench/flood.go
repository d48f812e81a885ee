package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
)

type floodReport struct {
	Command    string            `json:"command"`
	Date       time.Time         `json:"date"`
	Baseline   *load.Result      `json:"baseline"`
	WithFlood  *load.Result      `json:"with_flood"`
	Flooder    *load.FloodResult `json:"flooder"` // nil in a control run (-depth 0)
	HistoryLen int               `json:"flood_history_len"`
	Separate   bool              `json:"separate_phases"`
	// P99Ratio is the well-behaved p99 with the flooder over the baseline
	// p99 (target: <= 2); WellBehavedErrors the errors they saw with it
	// (target: 0).
	P99Ratio          float64 `json:"p99_ratio"`
	WellBehavedErrors int64   `json:"well_behaved_errors"`
}

func runFlood(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	lf := addLoadFlags(fs, "127.0.0.1:50001", 120*time.Second) // a throttled flooder waits ~30 s per answer
	clients := fs.Int("clients", 50, "well-behaved sessions")
	pace := fs.Duration("pace", 100*time.Millisecond, "gap between a well-behaved session's requests")
	phase := fs.Duration("phase", 20*time.Second, "length of each phase (baseline, then with the flooder); past ~45 s paced sessions sharing one group throttle themselves (docs/benchmarks.md)")
	depth := fs.Int("depth", 16, "flooder requests kept in flight (pipelining); 0: no flooder (a control run)")
	floodMax := fs.Int64("flood-requests", 0, "stop the flooder after this many requests (0: the phase length)")
	separate := fs.Bool("separate", false, "fresh well-behaved sessions for each phase (default: the same sessions run on through both phases)")
	settle := fs.Duration("settle", 2*time.Second, "pause between the phases with -separate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *phase <= 0 {
		return errors.New("-phase must be positive")
	}
	if err := loopback(*lf.server); err != nil {
		return err
	}
	f, checkable, err := lf.targets(false)
	if err != nil {
		return err
	}
	heavy := f.Largest()
	opts := load.Options{Addr: *lf.server, Sessions: *clients, Duration: *phase, Pace: *pace,
		Mix: lf.mixConfig(f, false), Check: checkable, Seed: *lf.seed, Timeout: *lf.timeout, Status: lf.status()}

	rep := floodReport{Command: "flood", Date: time.Now().UTC(), HistoryLen: heavy.History, Separate: *separate}
	fopts := load.FloodOptions{Addr: *lf.server, ScriptHash: heavy.ScriptHash, Depth: *depth,
		Duration: *phase, Requests: *floodMax, Timeout: *lf.timeout}
	type runRes struct {
		rs  []*load.Result
		err error
	}
	wb := make(chan runRes, 1)
	if *separate {
		o := opts
		o.Label = "baseline"
		if rep.Baseline, err = load.Run(ctx, o); err != nil {
			return err
		}
		if !load.Sleep(ctx, *settle) {
			return ctx.Err()
		}
		o.Label, o.Seed, o.Status = "with flooder", *lf.seed+1, nil // the flooder owns the status line
		go func() {
			r, err := load.Run(ctx, o)
			wb <- runRes{[]*load.Result{r}, err}
		}()
	} else {
		// One run of the well-behaved sessions, split in two phases; the
		// flooder connects at the start of the second.
		o := opts
		o.Label, o.Duration = "baseline", 2**phase
		st := o.Status
		o.Status = nil
		go func() {
			rs, err := load.RunPhases(ctx, o, *phase)
			wb <- runRes{rs, err}
		}()
		start := time.Now()
		for time.Since(start) < *phase && ctx.Err() == nil {
			st.Printf("baseline: %.0fs of %v", time.Since(start).Seconds(), *phase)
			load.Sleep(ctx, 250*time.Millisecond)
		}
		st.Done()
	}
	if *depth > 0 {
		fopts.Status = lf.status()
		rep.Flooder, err = load.Flood(ctx, fopts)
	}
	res := <-wb
	if err != nil {
		return err
	}
	if res.err != nil {
		return res.err
	}
	if !*separate {
		rep.Baseline = res.rs[0]
	}
	rep.WithFlood = res.rs[len(res.rs)-1]
	rep.WithFlood.Label = "with flooder"
	if *depth <= 0 {
		rep.WithFlood.Label = "phase 2, no flooder"
	}
	rep.WellBehavedErrors = rep.WithFlood.ErrorCount()
	if rep.Baseline.All.P99 > 0 {
		rep.P99Ratio = float64(rep.WithFlood.All.P99) / float64(rep.Baseline.All.P99)
	}
	return lf.output(stdout, rep, func(w io.Writer) { writeFloodText(w, &rep) })
}

func writeFloodText(w io.Writer, rep *floodReport) {
	fmt.Fprintf(w, "## well-behaved clients\n\n")
	fmt.Fprintln(w, "| phase | sessions | requests | req/s | errors | p50 ms | p99 ms | p99.9 ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range []*load.Result{rep.Baseline, rep.WithFlood} {
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %d | %s | %s | %s |\n", r.Label, r.Sessions, r.Requests, r.Rate,
			r.ErrorCount(), load.Ms(r.All.P50), load.Ms(r.All.P99), load.Ms(r.All.P999))
	}
	fmt.Fprintf(w, "\np99 with flooder / baseline = %.2f (target <= 2); errors with flooder: %s (target: none)\n",
		rep.P99Ratio, load.ErrorsString(rep.WithFlood.Errors))
	fl := rep.Flooder
	if fl == nil {
		fmt.Fprintf(w, "\n(no flooder: control run)\n")
		return
	}
	fmt.Fprintf(w, "\n## flooder (get_history of %s, %d entries, %d in flight)\n\n", fl.ScriptHash, rep.HistoryLen, fl.Depth)
	fmt.Fprintf(w, "answered %d in %.1fs (%.0f/s); errors: %s\n", fl.Answered, fl.Elapsed.Seconds(),
		float64(fl.Answered)/fl.Elapsed.Seconds(), load.ErrorsString(fl.Errors))
	fmt.Fprintf(w, "latency p50 %s ms, p99 %s ms, max %s ms; first-%d median %s ms\n",
		load.Ms(fl.Latency.P50), load.Ms(fl.Latency.P99), load.Ms(fl.Latency.Max), 20, load.Ms(fl.FirstWindow))
	event := func(name string, e *load.Event) {
		if e == nil {
			fmt.Fprintf(w, "%s: never\n", name)
			return
		}
		fmt.Fprintf(w, "%s: after %d answers, %.2fs in (latency %s ms)\n", name, e.Request, e.After.Seconds(), load.Ms(e.Latency))
	}
	event("throttling (latency jump)", fl.Throttled)
	event("-101 excessive resource usage", fl.Excessive)
	event("disconnected", fl.Disconnected)
	fmt.Fprintf(w, "\nper second (answers, p50 ms):")
	for i, s := range fl.PerSecond {
		fmt.Fprintf(w, " %d:%d/%s", i, s.Answered, load.Ms(s.P50))
	}
	fmt.Fprintln(w)
}
