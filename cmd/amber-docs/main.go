// Command amber-docs generates Amber's reference documents from the code.
//
//	amber-docs methods [-o docs/methods.md]
//
// writes the method reference (package methodref): every core method from
// the core's registry and the methods of the first-party plugins from
// their MethodSpecs. Without -o it writes to standard output. A test fails
// when the checked-in docs/methods.md differs from its output.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/amber-electrum/amber/core/methodref"
	bmm "github.com/amber-electrum/amber/plugins/bmm/plugin"
	"github.com/amber-electrum/amber/plugins/feeest/estimator"
	"github.com/amber-electrum/amber/plugins/history/histpage"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "amber-docs:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "methods" {
		return fmt.Errorf("usage: amber-docs methods [-o file]")
	}
	fs := flag.NewFlagSet("methods", flag.ContinueOnError)
	out := fs.String("o", "", "write to this file instead of standard output")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := methodref.Write(ctx, &b, firstParty()); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(b.Bytes())
		return err
	}
	return os.WriteFile(*out, b.Bytes(), 0o644)
}

// firstParty are the repository's method-provider plugins, for their spec
// tables (nothing else of them is called).
func firstParty() []methodref.Plugin {
	log := slog.New(slog.DiscardHandler)
	return []methodref.Plugin{
		{Name: "bmm", Doc: "[docs/bmm.md](bmm.md)", Methods: bmm.New(log)},
		{Name: "feeest", Doc: "as `blockchain.estimatefee` / `blockchain.relayfee` (plugins/feeest)", Methods: estimator.New(log)},
		{Name: "history", Doc: "`{\"history\": [{\"tx_hash\", \"height\", \"fee\"?}], \"next\"}` (plugins/history/histpage)", Methods: histpage.New()},
	}
}
