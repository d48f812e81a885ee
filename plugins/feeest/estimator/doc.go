// Package estimator is the fee-estimation plugin: an sdk.FeeEstimator
// (the fee-estimator role, capability "fee-estimator") and a method
// provider. As a method provider it adds
//
//	feeest.estimatefee(number, mode=null) -> BTC/kvB float, or -1
//	feeest.relayfee()                     -> BTC/kvB float
//
// with the parameters, validation and result encoding of the core's
// blockchain.estimatefee and blockchain.relayfee: number is a non-negative
// integer (BAD_REQUEST "<v> should be a non-negative integer"), mode is
// null, "CONSERVATIVE" or "ECONOMICAL" (BAD_REQUEST "unknown estimatefee
// mode: <mode>"), and "no estimate" is the integer -1. Targets are clamped
// to [1, 1008] blocks (Bitcoin Core's range; SP22 also maps 0 to 1).
//
// amberd routes the core's blockchain.estimatefee and blockchain.relayfee
// to the fee-estimator role (FeeRate, MinRelayFee, the same answers over
// the typed FeeEstimator service) when this plugin is loaded, whatever its
// name in the config: the core keeps its own validation, target bucketing,
// caches and costs, and asks the plugin instead of the chain backend on a
// cache miss. Called directly, the feeest.* names answer without the
// core's caches.
//
// # Configuration
//
//	source               "auto" (default), "daemon" or "mempool"
//	daemon_url           the daemon, as in the bitcoind plugin (string, comma
//	                     list or array); required for "daemon", optional
//	                     otherwise
//	cookie_file          \
//	request_timeout       > as in the bitcoind plugin, for daemon_url
//	network              /
//	relay_fee            BTC/kvB, the relay fee when no daemon is configured
//	                     (default 0.00001, Bitcoin Core's minrelaytxfee)
//	conservative_margin  factor applied to mempool estimates in CONSERVATIVE
//	                     mode, >= 1 (default 1.2)
//
// Unknown keys and bad values are KindInvalidArgument errors naming the key
// ("feeest config: source: ...").
//
// # Sources
//
// "daemon" asks the daemon through the bitcoind plugin's chain backend
// (plugins/internal/chainbackend):
// estimatesmartfee(number[, mode]).feerate, or estimatefee(number) on a
// daemon without estimatesmartfee (btcd), with btcd's "not ready" answers
// mapped to -1; relayfee is getnetworkinfo.relayfee (btcd: getinfo).
//
// "mempool" is Amber's own estimator over amberd's compact fee histogram
// (the fee host service, sdk.FeeHost; see MempoolRate):
//
//  1. An empty mempool (no transactions) says nothing: -1.
//  2. Walk the histogram from the highest fee rate down, adding up the
//     bins' virtual sizes. The first bin at which the running total
//     exceeds number × 1,000,000 vB (the space of the next number blocks)
//     holds the marginal transaction: its rate, in sat/vB, is the estimate.
//     Converted to BTC/kvB (× 1000 / 10^8) and rounded to 8 decimals.
//  3. CONSERVATIVE multiplies that rate by conservative_margin: the
//     histogram changes between blocks and a transaction paying exactly
//     the marginal rate ties with the bin's cheapest ones. ECONOMICAL and
//     null use it as is.
//  4. If the running total never exceeds the space, the whole mempool fits
//     into the next number blocks and the relay fee is enough: the answer
//     is the relay fee. Every answer is at least the relay fee.
//
// The relay fee (the floor, and feeest.relayfee) comes from the daemon when
// daemon_url is set, else from relay_fee.
//
// "auto" uses the daemon when daemon_url is set and the daemon has
// estimatesmartfee (Bitcoin Core), and the mempool otherwise (btcd, or no
// daemon configured). The choice is made once, in Configure, which with
// daemon_url set waits for the daemon (through warm-up) within amberd's
// start timeout and fails if it cannot be reached.
//
// Routed through the core, an answer is cached until the chain tip changes
// (estimatefee) or for 60 s (relayfee): mempool estimates then follow the
// mempool once per block.
//
// The mempool source needs amberd's fee host service (the Host handed to
// SetHost is an sdk.FeeHost); without it estimatefee answers DAEMON_ERROR
// (KindUnavailable).
package estimator
