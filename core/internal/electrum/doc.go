// Package electrum implements the Electrum protocol methods for protocol
// versions 1.4 to 1.6 and the one method registry of amberd: version
// negotiation and the per-version handler tables, parameter validation with
// the upstream error texts, script hash status, the history / block-txid /
// merkle / header-proof / estimatefee caches, per-method costs, the plugin
// methods, and the notification fan-out driven by index events.
//
// docs/methods.md, generated from the registry (go run ./cmd/amber-docs
// methods -o docs/methods.md), is the reference of every method: params,
// result, errors, cost, protocol range and what serves it.
//
// The registry: every core method is one entry of coreMethods
// (methodtable.go): name, parameter names, required count, cost rule,
// protocol range (Since, Until), result and errors, and its handler. The
// per-version handler tables are built from it (one per distinct Since or
// Until; a session switches to the table of its negotiated version). Costs
// are one table: a handler charges through call.charge, which applies its
// entry's rule to the request's units (headers served, mempool txs, hex
// characters, ...); the lookup costs several methods share (H, S, T, M)
// are the functions of costs.go. Plugin methods (sdk.MethodSpec) are
// registered into the same Registry (Server.Registry, via package
// extmethods) and served by the same handler: server.version first, the
// spec's minimum protocol, arity, the declared cost, then the plugin. The
// namespaces server., blockchain. and mempool. are the core's: a plugin
// method there is refused (but for sdk.PluginSlots).
//
// *Server is a session.Factory: each client session gets its own handler
// (handler.go), which owns the session's protocol state in typed fields
// (server.version seen, client name, negotiated version and method table,
// header and script hash subscriptions) and reports the client, protocol
// and subscription count to the session layer (session.Info). A handler
// sees its session through the small Sess interface (which
// *session.Session satisfies), so it can be tested without a network
// session.
//
// The behaviour is ElectrumX 1.20.0's (docs/electrumx-parity.md lists the
// deliberate differences). server.version must be the first message of
// every session: anything else before it (a request, an unknown method, a
// plugin method or a notification, see Notified) gets the old-client
// notifications, then BAD_REQUEST "use server.version to identify client"
// and a disconnect. Negotiation is upstream's numeric rule over
// PROTOCOL_MIN 1.4 and PROTOCOL_MAX 1.6.0 (Negotiate); "1.5" is accepted
// and served the 1.4.2 table. Protocol 1.6 differs from 1.4.2 in:
// blockchain.block.headers returns "headers": [hex, …] instead of "hex";
// blockchain.relayfee is gone (-32601); new
// blockchain.transaction.broadcast_package and mempool.get_info, which use
// the optional sdk.PackageBroadcaster and sdk.MempoolInfoer of the Daemon.
// Surplus arguments are refused with aiorpcX's -32602 text by every method
// but server.version, which ignores them in every version.
//
// Parameters are read as upstream reads them: integers as Python's int()
// (pyint.go), hex strings as is_hex_str, booleans by Python equality.
//
// The banner files are read by New and ReloadBanner, never per request.
//
// Index events reach the sessions through HandleEvent (synchronous) or the
// callback returned by Notifier (non-blocking, for the index's Notify hook).
package electrum
