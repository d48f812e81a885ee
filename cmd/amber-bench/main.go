package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/attack"
)

type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, stdout io.Writer) error
}

var commands = []command{
	{"chain", "build a regtest chain and write its expected answers", runChain},
	{"bigchain", "build a large mainnet-like chain fast (submitblock) and write its expected answers", runBigChain},
	{"query", "wallet-mix load against an Electrum server (and an echo server)", runQuery},
	{"flood", "well-behaved wallets with and without one get_history flooder", runFlood},
	{"sync", "index time of a fresh amberd vs the raw block fetch rate of the daemon", runSync},
	{"subscribe", "many subscribed idle sessions: memory each, block-to-notification time", runSubscribe},
	{"chart", "SVG charts from the JSON results of the other subcommands", runChart},
	{"attack", "one hostile-client load shape beside polite clients: peak RSS, p99 ratio, attacker outcome", runAttack},
}

func main() {
	attack.MaybeWorker() // an attack's child process runs and exits here
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dispatch(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "amber-bench:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		for _, c := range commands {
			if c.name == args[0] {
				return c.run(ctx, args[1:], stdout)
			}
		}
	}
	fmt.Fprintln(os.Stderr, "usage: amber-bench <command> [flags]   (amber-bench <command> -h for flags)")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", c.name, c.short)
	}
	return flag.ErrHelp
}

// loopback rejects any address that is not on 127.0.0.1 (or localhost).
func loopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	if host != "127.0.0.1" && host != "localhost" {
		return fmt.Errorf("address %q: only 127.0.0.1 is allowed", hostport)
	}
	return nil
}

// parseDaemonURL splits "user:pass@host:port" (an optional http:// prefix
// is accepted).
func parseDaemonURL(u string) (hostport, user, pass string, err error) {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	cred, hp, ok := strings.Cut(u, "@")
	if !ok {
		return "", "", "", fmt.Errorf("daemon URL %q: want user:pass@host:port", u)
	}
	user, pass, _ = strings.Cut(cred, ":")
	if err := loopback(hp); err != nil {
		return "", "", "", err
	}
	return hp, user, pass, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONFile writes v as indented JSON to a new file at path.
func writeJSONFile(path string, v any) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	err = writeJSON(fh, v)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}
