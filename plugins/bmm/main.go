// Command bmm is Amber's BMM plugin (docs/bmm.md): in a Drivechain
// sidechain deployment it serves blockchain.transaction.bmm_merkle, a proof
// that a sidechain transaction is in a sidechain block that a mainchain
// miner accepted under BIP301. amberd starts it as a method provider and
// hands it host services (the sidechain's headers and merkle branches); the
// plugin follows the mainchain node itself. The logic lives in package
// plugin and the packages under it.
package main

import (
	"github.com/amber-electrum/amber/plugins/bmm/plugin"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// Nothing may print to stdout before the go-plugin handshake; New does
	// no I/O.
	sdk.Serve(plugin.New(sdk.NewLogger()))
}
