// Command feeest is Amber's fee-estimation plugin: a fee estimator (the
// typed fee-estimator role, through which amberd answers the core's
// blockchain.estimatefee and blockchain.relayfee when the plugin is loaded)
// and a method provider adding feeest.estimatefee and feeest.relayfee.
// Estimates come from the daemon or from amberd's mempool fee histogram
// (see package estimator for the configuration and the algorithm).
package main

import (
	"github.com/amber-electrum/amber/plugins/feeest/estimator"
	"github.com/amber-electrum/amber/sdk"
)

func main() {
	// Serve first: nothing may print to stdout before the handshake.
	sdk.Serve(estimator.New(sdk.NewLogger()))
}
