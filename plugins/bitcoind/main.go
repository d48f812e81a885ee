// Command bitcoind is Amber's daemon-client plugin for Bitcoin Core-compatible
// JSON-RPC daemons (bitcoind, btcd). amberd starts it; it serves the
// ChainBackend service through the SDK. The logic lives in package backend
// (the ChainBackend) and package rpc (the JSON-RPC client).
package main

import (
	"github.com/amber-electrum/amber/plugins/bitcoind/backend"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// Serve is the first thing main does: nothing may print to stdout
	// before the go-plugin handshake. backend.New does no I/O.
	sdk.Serve(sdk.ServeOpts{ChainBackend: backend.New(sdk.NewLogger())})
}
