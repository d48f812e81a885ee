// Command bitcoind is Amber's daemon-client plugin for Bitcoin Core-compatible
// JSON-RPC daemons (bitcoind, btcd). amberd starts it; it serves the
// ChainBackend service through the SDK. The logic lives in
// plugins/internal/chainbackend (the ChainBackend, shared with the feeest
// plugin's daemon source) and plugins/internal/daemonrpc (the JSON-RPC
// client, shared with the bmm plugin).
package main

import (
	"github.com/amber-electrum/amber/plugins/internal/chainbackend"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// Serve is the first thing main does: nothing may print to stdout
	// before the go-plugin handshake. chainbackend.New does no I/O.
	b := chainbackend.New(sdk.NewLogger())
	b.OwnProcessMemory() // memory_limit_mb applies to this process
	sdk.Serve(b)
}
