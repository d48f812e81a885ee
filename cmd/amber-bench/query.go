package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/echo"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/mix"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/targets"
)

// loadFlags are the flags query and flood share.
type loadFlags struct {
	server      *string
	targetsFile *string
	shFile      *string
	perWallet   *int
	samples     *int
	seed        *uint64
	timeout     *time.Duration
	asJSON      *bool
	jsonOut     *string
	quiet       *bool
	check       *bool
}

func addLoadFlags(fs *flag.FlagSet, defServer string, defTimeout time.Duration) *loadFlags {
	return &loadFlags{
		server:      fs.String("server", defServer, "Electrum TCP server host:port on 127.0.0.1"),
		targetsFile: fs.String("targets", "", "expected-answers file written by the chain subcommand (enables answer checks)"),
		shFile:      fs.String("scripthashes", "", "file of script hashes, one a line (no answer checks; instead of -targets)"),
		perWallet:   fs.Int("per-wallet", 3, "script hashes per session"),
		samples:     fs.Int("samples", 2, "transaction.get + get_merkle per script hash per cycle"),
		seed:        fs.Uint64("seed", 1, "seed of the sessions' choices"),
		timeout:     fs.Duration("timeout", defTimeout, "per-request timeout"),
		asJSON:      fs.Bool("json", false, "print the results as JSON"),
		jsonOut:     fs.String("json-out", "", "also write the JSON results to this file"),
		quiet:       fs.Bool("quiet", false, "no live status line"),
		check:       fs.Bool("check", true, "check answers against the -targets expectations"),
	}
}

// output writes the report: JSON to stdout with -json, else text; and JSON
// to the -json-out file if set.
func (lf *loadFlags) output(stdout io.Writer, rep any, text func(io.Writer)) error {
	if *lf.jsonOut != "" {
		if err := writeJSONFile(*lf.jsonOut, rep); err != nil {
			return err
		}
	}
	if *lf.asJSON {
		return writeJSON(stdout, rep)
	}
	text(stdout)
	return nil
}

func (lf *loadFlags) status() *load.Status {
	if *lf.quiet {
		return nil
	}
	return load.NewStatus(os.Stderr)
}

// targets loads the targets (or builds synthetic ones when none is given
// and synthOK); checkable reports whether answers can be checked.
func (lf *loadFlags) targets(synthOK bool) (f *targets.File, checkable bool, err error) {
	switch {
	case *lf.targetsFile != "" && *lf.shFile != "":
		return nil, false, errors.New("give -targets or -scripthashes, not both")
	case *lf.targetsFile != "":
		f, err = targets.Load(*lf.targetsFile)
		return f, err == nil && *lf.check, err
	case *lf.shFile != "":
		f, err = readScriptHashes(*lf.shFile)
		return f, false, err
	case synthOK:
		return synthTargets(50, *lf.seed), false, nil
	}
	return nil, false, errors.New("-targets or -scripthashes is required")
}

// mixConfig is the wallet mix over f's scripts, the heavy one (if the file
// names one) left out unless withHeavy.
func (lf *loadFlags) mixConfig(f *targets.File, withHeavy bool) mix.Config {
	cfg := mix.Config{Height: f.Height, PerWallet: *lf.perWallet, Samples: *lf.samples}
	for _, s := range f.Scripts {
		if withHeavy || f.Heavy == "" || s.ScriptHash != f.Heavy || len(f.Scripts) == 1 {
			cfg.Scripts = append(cfg.Scripts, s)
		}
	}
	return cfg
}

func readScriptHashes(path string) (*targets.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f := &targets.File{Version: targets.Version}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			if len(line) != 64 {
				return nil, fmt.Errorf("%s: bad script hash %q", path, line)
			}
			f.Scripts = append(f.Scripts, targets.Script{ScriptHash: line})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(f.Scripts) == 0 {
		return nil, fmt.Errorf("%s: no script hashes", path)
	}
	return f, nil
}

// synthTargets makes n random script hashes with random history samples,
// for echo-only runs.
func synthTargets(n int, seed uint64) *targets.File {
	rng := rand.New(rand.NewPCG(seed, 99))
	hex := func() string {
		var b strings.Builder
		for range 32 {
			fmt.Fprintf(&b, "%02x", rng.IntN(256))
		}
		return b.String()
	}
	f := &targets.File{Version: targets.Version, Height: 1000}
	for range n {
		s := targets.Script{ScriptHash: hex()}
		for range targets.SampleSize {
			s.Sample = append(s.Sample, targets.Entry{TxHash: hex(), Height: 1 + rng.Int64N(f.Height)})
		}
		s.History = len(s.Sample)
		f.Scripts = append(f.Scripts, s)
	}
	return f
}

type queryReport struct {
	Command string         `json:"command"`
	Date    time.Time      `json:"date"`
	Results []*load.Result `json:"results"`
}

func runQuery(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	lf := addLoadFlags(fs, "127.0.0.1:50001", 30*time.Second)
	sessions := fs.Int("sessions", 100, "concurrent sessions")
	duration := fs.Duration("duration", 30*time.Second, "run length per server (0: until -requests)")
	requests := fs.Int64("requests", 0, "total requests per server (0: until -duration)")
	pace := fs.Duration("pace", 0, "gap between a session's requests (0: back to back)")
	echoToo := fs.Bool("echo", false, "also run the same load against an in-process echo server (-server \"\" for echo only)")
	heavy := fs.Bool("heavy", false, "let sessions draw the largest script hash too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration <= 0 && *requests <= 0 {
		return errors.New("set -duration or -requests")
	}
	if *duration <= 0 {
		*duration = time.Hour // a safety bound: the tool always stops by itself
	}
	if *lf.server == "" && !*echoToo {
		return errors.New("nothing to do: -server is empty and -echo is off")
	}
	if *lf.server != "" {
		if err := loopback(*lf.server); err != nil {
			return err
		}
	}
	f, checkable, err := lf.targets(*lf.server == "")
	if err != nil {
		return err
	}
	opts := load.Options{Sessions: *sessions, Duration: *duration, Requests: *requests, Pace: *pace,
		Mix: lf.mixConfig(f, *heavy), Seed: *lf.seed, Timeout: *lf.timeout, Status: lf.status()}
	rep := queryReport{Command: "query", Date: time.Now().UTC()}
	if *lf.server != "" {
		o := opts
		o.Label, o.Addr, o.Check = "server "+*lf.server, *lf.server, checkable
		r, err := load.Run(ctx, o)
		if err != nil {
			return err
		}
		rep.Results = append(rep.Results, r)
	}
	if *echoToo && ctx.Err() == nil {
		srv, err := echo.Listen(ctx, "127.0.0.1:0")
		if err != nil {
			return err
		}
		o := opts
		o.Label, o.Addr = "echo "+srv.Addr(), srv.Addr()
		r, err := load.Run(ctx, o)
		srv.Close()
		if err != nil {
			return err
		}
		rep.Results = append(rep.Results, r)
	}
	return lf.output(stdout, rep, func(w io.Writer) {
		for _, r := range rep.Results {
			load.WriteTable(w, r)
		}
	})
}
