// Package chainbackend implements sdk.ChainBackend on top of a Bitcoin
// Core-compatible JSON-RPC daemon (bitcoind or btcd) through package daemonrpc.
// It is the bitcoind plugin's chain backend and the feeest plugin's daemon
// source; it lives under plugins/internal so that both can use it without
// one plugin importing another.
//
// # Configuration
//
// Configure takes a JSON object:
//
//	daemon_url       string (comma list) or array of strings, required:
//	                 "user:pass@host[:port]" entries (docs/protocol.md, Daemon connection);
//	                 credentials may be left out when cookie_file is set
//	cookie_file      bitcoind's .cookie file, supplying the credentials of
//	                 URLs that have none; re-read after a 401
//	request_timeout  per HTTP request, Go duration string, default "30s"
//	network          mainnet | testnet | testnet4 | signet | regtest: checked
//	                 against the daemon's getblockchaininfo.chain
//	batch_size       at most this many blocks per getblock batch in Blocks,
//	                 default 50 (1..1000)
//	fetch_window_mb  the blocks Blocks holds at once (the batch being sent
//	                 to amberd, two waiting, one being decoded), in MiB,
//	                 default 64 (1..4096); each batch is at most a quarter
//	                 of it, and its block count follows the block sizes
//	                 seen; a block larger than a quarter of the window is
//	                 still fetched, alone
//	memory_limit_mb  the plugin process's Go soft memory limit, set by the
//	                 bitcoind plugin (not by a process that borrows the
//	                 backend): 0 (default) = 2 × fetch_window_mb + 64;
//	                 -1 = none; GOMEMLIMIT in the plugin's environment wins
//
// Integer keys also accept a string holding the integer (amberd passes
// AMBER_PLUGINS__<NAME>__CONFIG__<KEY> values as text).
//
// # Memory during the initial sync
//
// getblock replies are decoded as they stream in (daemonrpc.Client.BatchHex):
// the reply's JSON and hex are never held, only the decoded blocks. The
// plugin's memory in Blocks is thus fetch_window_mb of blocks (or four
// blocks, if a block is larger than a quarter of it), plus one block being
// sent over gRPC and one decode buffer as large as the largest block,
// whatever the chain's length (docs/benchmarks.md, Follow-up 7).
//
// Unknown keys are a KindInvalidArgument error naming the key. The default
// port of URLs without one is 8332 for mainnet (or no network given) and
// 18332 for the testnet class (testnet, testnet4, signet, regtest), as
// ElectrumX does; give the port explicitly for regtest and signet daemons.
//
// # btcd versus Bitcoin Core
//
// Handled here and in package daemonrpc:
//   - Requests always carry "jsonrpc":"1.0" and integer verbosity
//     (getblock h 0, getrawtransaction t 0|1): btcd requires both, Core
//     accepts both.
//   - getblockchaininfo.chain is "main"/"test"/"testnet4"/"signet"/"regtest"
//     on Core and "mainnet"/"testnet3"/"signet"/"regtest"/"simnet" on btcd;
//     both map to the network names above (simnet stays "simnet").
//   - Heights past the tip: Core answers getblockhash with -8, btcd with -1
//     "Block number out of range"; both end BlockHashes/Blocks early.
//   - getnetworkinfo: btcd answers -1 "Command unimplemented". RelayFee and
//     DaemonInfo then use getinfo (relayfee, version). btcd's getinfo has no
//     subversion: DaemonInfo.Subversion is left empty.
//   - estimatesmartfee: btcd parses its parameters, so the no-parameter probe
//     of docs/protocol.md, Daemon connection, sees -32602 and calls it available, and a real call then
//     answers -32601. Configure therefore confirms the probe with a real call
//     (estimatesmartfee 2), and any later -32601 marks it unavailable too.
//     Without it EstimateFee uses estimatefee n (btcd: a bare BTC/kB float).
//     btcd answers estimatefee with 0 or a negative number when it has no
//     estimate, and with -32600 "Invalid request: malformed" while its
//     estimator has seen too few blocks (or for a zero target); all of these
//     become -1 ("no estimate"). Other daemon errors are returned.
//   - Broadcast errors keep the daemon's code: btcd uses -22 (decode), -25
//     (missing or spent inputs) and -26 (rejected); Core also -27.
//   - Cookie authentication exists only in Core; btcd uses basic auth only.
//   - BroadcastPackage (Electrum 1.6 broadcast_package) uses submitpackage.
//     btcd and Core < 26 lack it (-32601): the transactions are then sent
//     one by one in package order with sendrawtransaction. There is no
//     package fee evaluation (a child cannot pay for a parent below the
//     relay fee), a rejected transaction does not stop the later ones, and
//     transactions accepted before a rejection stay in the mempool. The
//     verbose JSON imitates submitpackage (package_msg, tx-results keyed by
//     wtxid with txid and error, replaced-transactions).
//   - MempoolInfo: getmempoolinfo's mempoolminfee, minrelaytxfee and
//     incrementalrelayfee; btcd's getmempoolinfo has only size and bytes, so
//     every missing field is the relay fee (getinfo.relayfee).
package chainbackend
