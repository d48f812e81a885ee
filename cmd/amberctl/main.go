// Command amberctl is the admin CLI of amberd: it sends one admin RPC
// method, with its arguments by name, to amberd's rpc:// service and prints
// the answer (a human rendering by default, JSON with --json).
//
//	amberctl [-p PORT] [--host HOST] [--json] <method> [args...]
//
// The port defaults to $AMBER_RPC_PORT, then 8000. Exit status is 1 when
// the server answers with an error, 2 on usage or connection errors.
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
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("amberctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("p", defaultPort(), "admin RPC port (env AMBER_RPC_PORT)")
	fs.IntVar(port, "port", defaultPort(), "admin RPC port (env AMBER_RPC_PORT)")
	host := fs.String("host", "127.0.0.1", "admin RPC host")
	asJSON := fs.Bool("json", false, "print the raw JSON result")
	timeout := fs.Duration("timeout", 30*time.Second, "request timeout")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: amberctl [-p PORT] [--host HOST] [--json] <method> [args...]\n\nmethods:\n")
		for _, m := range methods {
			fmt.Fprintf(stderr, "  %-12s %s\n", m.name+" "+m.usage, m.help)
		}
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	m, params, err := buildParams(fs.Arg(0), fs.Args()[1:])
	if err != nil {
		fmt.Fprintln(stderr, "amberctl:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	result, err := call(ctx, fmt.Sprintf("%s:%d", *host, *port), m.name, params)
	var rpcErr *rpcError
	switch {
	case errors.As(err, &rpcErr):
		fmt.Fprintf(stderr, "amberctl: %s: error %d: %s\n", m.name, rpcErr.Code, rpcErr.Message)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "amberctl: %v\n", err)
		return 2
	}
	if *asJSON {
		if err := printJSON(stdout, result); err != nil {
			fmt.Fprintln(stderr, "amberctl:", err)
			return 2
		}
		return 0
	}
	if err := render(stdout, m.name, result); err != nil {
		fmt.Fprintln(stderr, "amberctl:", err)
		return 2
	}
	return 0
}

func defaultPort() int {
	if p, err := strconv.Atoi(os.Getenv("AMBER_RPC_PORT")); err == nil && p > 0 {
		return p
	}
	return 8000
}
