// Command amberd is the Amber Electrum server. It reads its configuration
// (defaults < config file < environment < flags; see configs/amberd.example.yaml),
// starts the daemon-client plugin, indexes the chain and serves Electrum
// clients until SIGINT or SIGTERM. `amberd --version` prints its version,
// commit, plugin protocol and SDK versions.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/amber-electrum/amber/core/server"
)

func main() {
	if wantsVersion(os.Args[1:]) {
		info, _ := debug.ReadBuildInfo()
		fmt.Print(versionText(info, version))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.Run(ctx, os.Args[1:], os.Environ()); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Print(err.Error()) // the usage text
			return
		}
		fmt.Fprintln(os.Stderr, "amberd:", err)
		os.Exit(1)
	}
}
