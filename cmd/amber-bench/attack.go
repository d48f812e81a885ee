package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/attack"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
)

// runAttack is "amber-bench attack <name>": one hostile-client load shape
// against a running amberd, beside polite clients (issue 11).
func runAttack(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	server := fs.String("server", "127.0.0.1:50001", "amberd's TCP service (127.0.0.1 only)")
	pid := fs.Int("pid", 0, "amberd's process id, for its peak RSS (0: not measured)")
	phase := fs.Duration("phase", 10*time.Second, "length of the quiet baseline and of the attack phase")
	polite := fs.Int("polite", 10, "polite clients")
	pace := fs.Duration("pace", 20*time.Millisecond, "gap between a polite client's requests")
	conns := fs.Int("conns", 0, "attacking connections or workers (0: the attack's default)")
	same := fs.Bool("same-address", false, "every attacking connection from 127.0.1.1 (default: 127.1.x.y, a new address each)")
	normal := fs.Bool("attacker-normal-priority", false, "run the attacking process at normal CPU priority (default: nice 19 and SCHED_IDLE, so that the bench measures amberd rather than the attacker's own CPU)")
	asJSON := fs.Bool("json", false, "JSON output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: amber-bench attack [flags] <name>\n\nattacks:")
		for _, n := range attack.Names() {
			fmt.Fprintf(fs.Output(), "  %-12s %s\n", n[0], n[1])
		}
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	// The attack name may come before or after the flags.
	name := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return flag.ErrHelp
	}
	if err := loopback(*server); err != nil {
		return err
	}
	if *phase <= 0 {
		return errors.New("-phase must be positive")
	}
	res, err := attack.Run(ctx, name, attack.Options{Addr: *server, PID: *pid, Duration: *phase,
		Polite: *polite, Pace: *pace, Attackers: *conns, SameAddress: *same, NormalPriority: *normal})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	writeAttackText(stdout, res)
	return nil
}

func writeAttackText(w io.Writer, r *attack.Result) {
	fmt.Fprintf(w, "## attack %s\n\n", r.Attack)
	fmt.Fprintln(w, "| polite clients | requests | errors | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, p := range []struct {
		label string
		p     attack.Polite
	}{{"quiet baseline", r.Baseline}, {"under attack", r.UnderAttack}} {
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s |\n", p.label, p.p.Requests, p.p.Errors,
			load.Ms(p.p.Latency.P50), load.Ms(p.p.Latency.P99), load.Ms(p.p.Latency.Max))
	}
	fmt.Fprintf(w, "\np99 under attack / baseline = %.2f (target <= 2); polite errors: %d (target: none)\n", r.P99Ratio, r.UnderAttack.Errors)
	for f, n := range r.UnderAttack.Failures {
		fmt.Fprintf(w, "  %d × %s\n", n, f)
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(w, "amberd RSS before %d MB, peak during the attack %d MB (target < 500 MB)\n", r.RSSBefore>>20, r.PeakRSS>>20)
	} else {
		fmt.Fprintln(os.Stderr, "amberd RSS not measured (-pid)")
	}
	a := r.Attacker
	fmt.Fprintf(w, "\nattacker process: %s\n", r.AttackerPriority)
	fmt.Fprintf(w, "\nattacker: %d connections, %d refused, %d closed by amberd, %d replies, %d kB sent; errors by code: %v\n",
		a.Connections, a.Refused, a.ClosedByAmb, a.Replies, a.SentBytes>>10, a.Errors)
	if a.Note != "" {
		fmt.Fprintln(w, "attacker:", a.Note)
	}
}
