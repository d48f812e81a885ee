// Command feeest is Amber's fee-estimation plugin: a method provider adding
// feeest.estimatefee and feeest.relayfee, to which amberd routes the core's
// blockchain.estimatefee and blockchain.relayfee when the plugin is loaded.
// Estimates come from the daemon or from amberd's mempool fee histogram
// (see package estimator for the configuration and the algorithm).
package main

import (
	"github.com/amber-electrum/amber/plugins/feeest/estimator"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// ServePlugin first: nothing may print to stdout before the handshake.
	sdk.ServePlugin(sdk.PluginOpts{Methods: estimator.New(sdk.NewLogger())})
}
