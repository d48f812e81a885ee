package electrum

//go:generate go run ../../../cmd/amber-docs methods -o ../../../docs/methods.md

// coreMethods is the registry of the core's Electrum methods: every client
// method of every protocol version, with its parameters, cost rule,
// protocol range, result and errors. The per-version handler tables
// (tables.go) and docs/methods.md (cmd/amber-docs) are built from it, so
// adding a core method is one entry here plus its handler.
//
// Since is the first negotiated version serving the entry (nil: 1.4),
// Until the first one no longer serving it (nil: every version up to
// ProtocolMax). A method whose handler changes with the version has one
// entry per range. Every method answers JSON-RPC -32602 for a wrong
// number of parameters (but server.version, which drops surplus ones);
// Errors lists the rest.
var coreMethods = []Method{
	{Name: "server.version", Params: p("client_name", "protocol_version"), ExtraOK: true,
		Cost: fixed(0.5), handler: serverVersion,
		Result: `[server_software_version, negotiated_protocol_version]`,
		Errors: "BAD_REQUEST: sent twice, unsupported client (drop_client), unsupported protocol version (the session closes)"},
	{Name: "server.banner", Cost: fixed(0.5), handler: serverBanner,
		Result: "string: the (Tor) banner file with $SERVER_VERSION etc. replaced",
		Errors: "DAEMON_ERROR when the banner names $DAEMON_* and the daemon fails"},
	{Name: "server.donation_address", Cost: fixed(0.1), handler: serverDonationAddress,
		Result: "string"},
	{Name: "server.features", Cost: fixed(0.2), handler: serverFeatures,
		Result: `{"hosts", "pruning", "server_version", "protocol_min", "protocol_max", "genesis_hash", "hash_function", "services"}`},
	{Name: "server.peers.subscribe", Cost: fixed(1.0), handler: serverPeersSubscribe,
		Result: "[[ip_or_host, host, [features…]], …] (empty without peer discovery)"},
	{Name: "server.add_peer", Params: p("features"), Required: 1, Cost: fixed(100.0), handler: serverAddPeer,
		Result: "bool: whether the peer was accepted"},
	{Name: "server.ping", Cost: fixed(0.1), handler: serverPing, Result: "null"},

	{Name: "blockchain.headers.subscribe", Cost: fixed(0.25), handler: headersSubscribe,
		Result: `{"hex", "height"} of the tip; then notifications [{"hex", "height"}]`},
	{Name: "blockchain.block.header", Params: p("height", "cp_height"), Required: 1, handler: blockHeader,
		Cost: Cost{Rule: "0.25; 1.25 with a cp_height proof", Of: func(u units) float64 {
			if u.Proof {
				return 1.25
			}
			return 0.25
		}},
		Result: `hex header; with cp_height > 0 {"header", "branch", "root"}`,
		Errors: "BAD_REQUEST: not a non-negative integer, height out of range, bad cp_height"},
	{Name: "blockchain.block.headers", Params: p("start_height", "count", "cp_height"), Required: 2, handler: blockHeaders,
		Until: Version{1, 6}, Cost: headersCost,
		Result: `{"hex" (headers concatenated), "count", "max"} (+ "branch", "root" with cp_height > 0)`,
		Errors: "BAD_REQUEST: not a non-negative integer, bad cp_height"},
	{Name: "blockchain.block.headers", Params: p("start_height", "count", "cp_height"), Required: 2, handler: blockHeadersList,
		Since: Version{1, 6}, Cost: headersCost,
		Result: `{"headers" [hex, …], "count", "max"} (+ "branch", "root" with cp_height > 0)`,
		Errors: "BAD_REQUEST: not a non-negative integer, bad cp_height"},
	{Name: "blockchain.estimatefee", Params: p("number", "mode"), Required: 1, handler: estimateFee,
		Cost: Cost{Rule: "0.1; + 2.0 when the fee cache misses (a daemon call)", Of: func(u units) float64 {
			if u.Miss {
				return 2.0
			}
			return 0.1
		}},
		Result: "number: coin per kB, or -1",
		Errors: "BAD_REQUEST: bad number or mode; DAEMON_ERROR"},
	{Name: "blockchain.relayfee", Until: Version{1, 6}, Cost: fixed(1.0), handler: relayFee,
		Result: "number: coin per kB", Errors: "DAEMON_ERROR"},

	{Name: "blockchain.scripthash.get_balance", Params: p("scripthash"), Required: 1, handler: scripthashGetBalance,
		Cost:   Cost{Rule: "1.0 + UTXOs / 50", Of: func(u units) float64 { return 1.0 + float64(u.N)/50 }},
		Result: `{"confirmed", "unconfirmed"} in satoshis`, Errors: "BAD_REQUEST: not a script hash"},
	{Name: "blockchain.scripthash.get_history", Params: p("scripthash"), Required: 1, handler: scripthashGetHistory,
		Cost:   Cost{Rule: "H + 0.25 + mempool txs / 50", Of: func(u units) float64 { return u.Lookup + 0.25 + float64(u.N)/50 }},
		Result: `[{"tx_hash", "height"}, …, mempool {"tx_hash", "height", "fee"}]`,
		Errors: "BAD_REQUEST: not a script hash, history too large (charged H)"},
	{Name: "blockchain.scripthash.get_mempool", Params: p("scripthash"), Required: 1, handler: scripthashGetMempool,
		Cost:   Cost{Rule: "0.25 + mempool txs / 50", Of: func(u units) float64 { return 0.25 + float64(u.N)/50 }},
		Result: `[{"tx_hash", "height", "fee"}, …]`, Errors: "BAD_REQUEST: not a script hash"},
	{Name: "blockchain.scripthash.listunspent", Params: p("scripthash"), Required: 1, handler: scripthashListUnspent,
		Cost:   Cost{Rule: "1.0 + UTXOs / 50", Of: func(u units) float64 { return 1.0 + float64(u.N)/50 }},
		Result: `[{"tx_hash", "tx_pos", "height", "value"}, …]`, Errors: "BAD_REQUEST: not a script hash"},
	{Name: "blockchain.scripthash.subscribe", Params: p("scripthash"), Required: 1, handler: scripthashSubscribe,
		Cost:   lookupOnly("S (per status computed)"),
		Result: "status (hex) or null; then notifications [scripthash, status]",
		Errors: "BAD_REQUEST: not a script hash, history too large"},
	{Name: "blockchain.scripthash.unsubscribe", Params: p("scripthash"), Required: 1, handler: scripthashUnsubscribe,
		Since: Version{1, 4, 2}, Cost: fixed(0.1),
		Result: "bool: whether the script hash was subscribed", Errors: "BAD_REQUEST: not a script hash"},

	{Name: "blockchain.transaction.broadcast", Params: p("raw_tx"), Required: 1, handler: transactionBroadcast,
		Cost:   Cost{Rule: "0.25 + hex characters / 5000", Of: broadcastCost},
		Result: "txid (the upgrade warning for Electrum < 3.3.3)",
		Errors: "BAD_REQUEST: not hex (no cost), rejected by network rules; DAEMON_ERROR"},
	{Name: "blockchain.transaction.broadcast_package", Params: p("raw_txs", "verbose"), Required: 1,
		handler: transactionBroadcastPackage, Since: Version{1, 6},
		Cost:   Cost{Rule: "0.25 + hex characters of all txs / 5000", Of: broadcastCost},
		Result: `{"success"} (+ "errors" [{"txid", "error"}]); verbose: the daemon's answer`,
		Errors: "BAD_REQUEST: not a list, not hex (no cost), package rejected; DAEMON_ERROR (also without the backend capability)"},
	{Name: "blockchain.transaction.get", Params: p("tx_hash", "verbose"), Required: 1, handler: transactionGet,
		Cost:   fixed(1.0),
		Result: "raw tx hex; verbose: the daemon's decoded transaction",
		Errors: "BAD_REQUEST: not a tx hash, bad verbose; DAEMON_ERROR"},
	{Name: "blockchain.transaction.get_merkle", Params: p("tx_hash", "height"), Required: 2, handler: transactionGetMerkle,
		Cost:   lookupOnly("T, then M when the tx is in the block"),
		Result: `{"block_height", "merkle", "pos"}`,
		Errors: "BAD_REQUEST: not a tx hash or height, block not on disk, tx not in block"},
	{Name: "blockchain.transaction.id_from_pos", Params: p("height", "tx_pos", "merkle"), Required: 2, handler: transactionIDFromPos,
		Cost:   lookupOnly("T, then M with merkle"),
		Result: `txid; with merkle {"tx_hash", "merkle"}`,
		Errors: "BAD_REQUEST: bad height, tx_pos or merkle, block not on disk, no tx at position"},

	{Name: "mempool.get_fee_histogram", Cost: fixed(1.0), handler: mempoolGetFeeHistogram,
		Result: "[[fee_rate, vsize], …]"},
	{Name: "mempool.get_info", Since: Version{1, 6}, Cost: fixed(1.0), handler: mempoolGetInfo,
		Result: `{"mempoolminfee", "minrelaytxfee", "incrementalrelayfee"}`, Errors: "DAEMON_ERROR"},
}

// headersCost: headers served (after clamping to 2016) / 50, + 1.0 with a
// cp_height proof.
var headersCost = Cost{Rule: "headers served / 50; + 1.0 with a cp_height proof", Of: func(u units) float64 {
	cost := float64(u.N) / 50
	if u.Proof {
		cost += 1.0
	}
	return cost
}}

func broadcastCost(u units) float64 { return 0.25 + float64(u.N)/5000 }

// removedMethods were client methods of older protocol versions; they stay
// reserved (-32601) so that no plugin can bring them back under the core's
// name.
var removedMethods = []string{
	"blockchain.address.get_balance", "blockchain.address.get_history", "blockchain.address.get_mempool",
	"blockchain.address.listunspent", "blockchain.address.subscribe", "blockchain.block.get_header",
	"blockchain.block.get_chunk", "blockchain.numblocks.subscribe", "blockchain.utxo.get_address",
}
