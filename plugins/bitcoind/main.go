// Command bitcoind is Amber's daemon-client plugin for Bitcoin Core-compatible
// JSON-RPC daemons (bitcoind, btcd). amberd starts it; it serves the
// ChainBackend service through the SDK. The logic lives in package backend
// (the ChainBackend) and package rpc (the JSON-RPC client).
package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/amber-electrum/amber/plugins/bitcoind/backend"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// Serve is the first thing main does: nothing may print to stdout
	// before the go-plugin handshake. backend.New does no I/O.
	sdk.Serve(sdk.ServeOpts{ChainBackend: backend.New(hclogJSON())})
}

// hclogJSON returns a slog logger writing hclog-style JSON lines on stderr
// (@level, @message, @timestamp), which the host re-emits with their levels.
func hclogJSON() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				a.Key = "@message"
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			}
			return a
		},
	}))
}
