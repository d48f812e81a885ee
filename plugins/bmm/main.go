// Command bmm is Amber's BMM plugin (spec bmm.md): in a Drivechain
// sidechain deployment it serves blockchain.transaction.bmm_merkle, a proof
// that a sidechain transaction is in a sidechain block that a mainchain
// miner accepted under BIP301. amberd starts it as a method provider and
// hands it host services (the sidechain's headers and merkle branches); the
// plugin follows the mainchain node itself. The logic lives in package
// plugin and the packages under it.
package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/amber-electrum/amber/plugins/bmm/plugin"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// Nothing may print to stdout before the go-plugin handshake; New does
	// no I/O.
	sdk.ServePlugin(sdk.PluginOpts{Methods: plugin.New(stderrLogger())})
}

// stderrLogger writes JSON lines with hclog's key names (@level, @message,
// @timestamp), which amberd re-emits with their levels.
func stderrLogger() *slog.Logger {
	keys := map[string]string{slog.LevelKey: "@level", slog.MessageKey: "@message", slog.TimeKey: "@timestamp"}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if k, ok := keys[a.Key]; ok && len(groups) == 0 {
				if a.Key == slog.LevelKey {
					return slog.String(k, strings.ToLower(a.Value.String()))
				}
				a.Key = k
			}
			return a
		},
	}))
}
