package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/subbench"
	"github.com/amber-electrum/amber/core/regtest"
)

// runSubscribe measures many idle subscribed sessions against amberd: its
// memory per session, and the time from a mempool transaction or a block to
// each session's last notification for it (see internal/subbench).
func runSubscribe(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("subscribe", flag.ContinueOnError)
	server := fs.String("server", "127.0.0.1:50001", "amberd Electrum TCP service on 127.0.0.1")
	rpc := fs.String("rpc", "127.0.0.1:8000", "amberd admin RPC on 127.0.0.1 (for amberd's pid)")
	pid := fs.Int("pid", 0, "amberd's pid (instead of asking -rpc)")
	metrics := fs.String("metrics", "", "amberd metrics endpoint on 127.0.0.1 (optional: Go heap in use)")
	daemon := fs.String("daemon", "", "the btcd behind amberd, user:pass@127.0.0.1:port (required)")
	sessions := fs.Int("sessions", 10000, "sessions")
	subs := fs.Int("subs", 10, "script hash subscriptions per session")
	seed := fs.Int64("seed", 1, "seed of the subscribed scripts' keys")
	keyOffset := fs.Int("key-offset", -1, "first key index of the subscribed scripts (-1: from the tip height, fresh in every run that mined)")
	conc := fs.Int("connect-concurrency", 100, "sessions being set up at once")
	rate := fs.Float64("connect-rate", 1000, "new connections per second (0: unbounded)")
	reqTimeout := fs.Duration("request-timeout", time.Minute, "per-request timeout while subscribing")
	idle := fs.Duration("idle", 5*time.Second, "idle time before the second RSS reading")
	blocks := fs.Int("blocks", 3, "block events (generate 1 each)")
	timeout := fs.Duration("timeout", time.Minute, "how long each event waits for all notifications")
	amount := fs.Int64("amount", 10000, "satoshis per funded output")
	perTx := fs.Int("outputs-per-tx", 2000, "funded outputs per transaction (btcd standard size: keep <= ~2,500)")
	feeRate := fs.Float64("fee-rate", 2, "fee rate of the funding transactions, sat/vB")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	jsonOut := fs.String("json-out", "", "also write the JSON results to this file")
	quiet := fs.Bool("quiet", false, "no live status line and no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *daemon == "" {
		return errors.New("-daemon is required")
	}
	hp, user, pass, err := parseDaemonURL(*daemon)
	if err != nil {
		return err
	}
	for _, a := range []string{*server, *rpc, *metrics} {
		if a != "" {
			if err := loopback(a); err != nil {
				return err
			}
		}
	}
	if *sessions <= 0 || *subs <= 0 || *perTx <= 0 || *blocks < 0 {
		return errors.New("-sessions, -subs and -outputs-per-tx must be > 0, -blocks >= 0")
	}
	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "subscribe: "+format+"\n", args...)
		}
	}
	nofile, err := raiseNoFile()
	if err != nil {
		return err
	}
	logf("RLIMIT_NOFILE raised to %d", nofile)
	if need := uint64(*sessions) + 64; need > nofile {
		logf("warning: %d sessions need about %d file descriptors, the limit is %d: some sessions will fail", *sessions, need, nofile)
	}
	cfg := subbench.Config{Server: *server, RPC: *rpc, PID: *pid, Metrics: *metrics, Node: regtest.NewClient(hp, user, pass),
		Sessions: *sessions, Subs: *subs, Seed: *seed, KeyOffset: *keyOffset, ConnectConc: *conc, ConnectRate: *rate,
		ReqTimeout: *reqTimeout, Idle: *idle, Blocks: *blocks, Timeout: *timeout, Amount: *amount, PerTx: *perTx,
		FeeRate: *feeRate, NoFile: nofile, Logf: logf}
	if !*quiet {
		cfg.Status = newStatus(os.Stderr)
	}
	rep, err := subbench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := writeJSONFile(*jsonOut, rep); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	subbench.WriteText(stdout, rep)
	return nil
}

// raiseNoFile raises the soft RLIMIT_NOFILE to the hard limit (Go already
// does so at start-up on Linux; this makes it explicit) and returns it.
func raiseNoFile() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("setrlimit: %w", err)
		}
	}
	return lim.Cur, nil
}
