// Command amberctl is the admin CLI of amberd (README, docs/protocol.md, Admin RPC): it sends one
// admin RPC method, with its arguments by name, to amberd's rpc:// service
// and prints the answer the way electrumx_rpc does: fixed-width tables for
// sessions, groups and peers, one line per item for query, pretty JSON
// (4-space indent, sorted keys) for everything else. --json prints the
// compact JSON result instead.
//
//	amberctl [-p PORT] [--host HOST] [--cookie FILE] [--timeout SECONDS] [--json] <method> [args...]
//
// The port defaults to $AMBER_RPC_PORT, then $RPC_PORT, then 8000; the host
// to 127.0.0.1. When amberd runs with rpc_auth: cookie, every request
// carries the cookie amberd wrote at start, read as bitcoin-cli reads
// bitcoind's: from --cookie, else $AMBER_RPC_COOKIE_FILE, else rpc.cookie
// in $AMBER_DB_DIRECTORY or $DB_DIRECTORY (amberd's own environment). Exit status: 0 on success, 1 when amberd cannot be reached
// or answers with an error, 2 on usage errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// seconds is a --timeout value: whole seconds ("30") or a Go duration
// ("1m30s").
type seconds struct{ d time.Duration }

func (s *seconds) String() string { return strconv.Itoa(int(s.d / time.Second)) }

func (s *seconds) Set(v string) error {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		s.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive number of seconds")
	}
	s.d = d
	return nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("amberctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("p", defaultPort(getenv), "admin RPC port (env AMBER_RPC_PORT, RPC_PORT)")
	fs.IntVar(port, "port", defaultPort(getenv), "admin RPC port (env AMBER_RPC_PORT, RPC_PORT)")
	host := fs.String("host", "127.0.0.1", "admin RPC host")
	asJSON := fs.Bool("json", false, "print the compact JSON result")
	cookieFlag := fs.String("cookie", "", "admin cookie file (default: $AMBER_RPC_COOKIE_FILE, else rpc.cookie in $AMBER_DB_DIRECTORY or $DB_DIRECTORY)")
	timeout := &seconds{30 * time.Second}
	fs.Var(timeout, "timeout", "seconds for connecting and the request")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	m, params, err := buildParams(fs.Arg(0), fs.Args()[1:])
	if err != nil {
		fmt.Fprintf(stderr, "amberctl %s: %v\n", fs.Arg(0), err)
		return 2
	}
	cookie, err := readCookie(cookiePath(*cookieFlag, getenv))
	if err != nil {
		fmt.Fprintf(stderr, "amberctl: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, timeout.d)
	defer cancel()
	result, err := call(ctx, *host, *port, m.name, params, cookie)
	var connErr *connectError
	switch {
	case errors.As(err, &connErr):
		fmt.Fprintf(stderr, "cannot connect - is amberd not running, or is %d the wrong RPC port?\n", *port)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "error making request: %v\n", err)
		return 1
	}
	if *asJSON {
		err = printCompact(stdout, result)
	} else {
		err = render(stdout, m.name, result, time.Now())
	}
	if err != nil {
		fmt.Fprintf(stderr, "error making request: %v\n", err)
		return 1
	}
	return 0
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "usage: amberctl [-p PORT] [--host HOST] [--cookie FILE] [--timeout SECONDS] [--json] <method> [args...]\n\nmethods:\n")
	for _, m := range methods {
		fmt.Fprintf(w, "  %-28s %s\n", m.name+" "+m.usage, m.help)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
}

func defaultPort(getenv func(string) string) int {
	for _, k := range []string{"AMBER_RPC_PORT", "RPC_PORT"} {
		if p, err := strconv.Atoi(getenv(k)); err == nil && p > 0 && p < 65536 {
			return p
		}
	}
	return 8000
}
