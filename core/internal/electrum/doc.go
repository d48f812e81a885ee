// Package electrum implements the Electrum protocol methods (protocol.md
// §3–§4, §7) for protocol versions 1.4 to 1.6: version negotiation and the
// per-version handler tables, parameter validation with the upstream error
// texts, script hash status, the history / block-txid / merkle / header-proof
// / estimatefee caches (sessions-and-costs.md §7), per-method costs, and the
// notification fan-out driven by index events (sessions-and-costs.md §8).
//
// *Server implements session.Dispatcher. Handlers see a session through the
// small Sess interface (which *session.Session satisfies), so they can be
// tested without a network session.
//
// The behaviour is ElectrumX 1.20.0's (docs/electrumx-parity.md lists the
// deliberate differences). server.version must be the first message of
// every session: anything else before it (a request, an unknown method or
// a notification, see Notified) gets the old-client notifications, then
// BAD_REQUEST "use server.version to identify client" and a disconnect.
// Negotiation is upstream's numeric rule over PROTOCOL_MIN 1.4 and
// PROTOCOL_MAX 1.6.0 (Negotiate); "1.5" is accepted and served the 1.4.2
// table.
//
// Version tables: a session switches to the table of its negotiated
// version. Each table is derived from the previous one (table.with /
// table.without), as upstream's set_request_handlers. Protocol 1.6 differs
// from 1.4.2 in: blockchain.block.headers returns "headers": [hex, …]
// instead of "hex"; blockchain.relayfee is gone (-32601); new
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
