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
// Version tables: a session starts on the 1.4 table (1.4.x clients need not
// send server.version) and switches to the table of its negotiated version.
// Each table is derived from the previous one (table.with / table.without);
// a later protocol version is one more entry in tables plus its table-wide
// rules (table.versionFirst, table.ignoreExtra).
//
// Protocol 1.6 differs from 1.4.2 in: server.version must be the first
// request (a session that sent anything else first is still served, as
// 1.4.x, and can negotiate at most ProtocolMaxLate = 1.4.2; asking for 1.6
// only is then refused with "unsupported protocol version" and the session
// closed); surplus positional and unknown named arguments are ignored by
// every method (server.version ignores them in every version, since it runs
// before negotiation); blockchain.block.headers returns "headers": [hex, …]
// instead of "hex"; blockchain.relayfee is gone (-32601); new
// blockchain.transaction.broadcast_package and mempool.get_info, which use
// the optional sdk.PackageBroadcaster and sdk.MempoolInfoer of the Daemon.
// estimatefee's mode and the canonical mempool order are served to every
// version. A negotiation landing in the skipped 1.5 range settles on 1.4.2.
//
// Index events reach the sessions through HandleEvent (synchronous) or the
// callback returned by Notifier (non-blocking, for the index's Notify hook).
package electrum
