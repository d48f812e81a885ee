// Package electrum implements the Electrum protocol methods (protocol.md
// §3–§4) for protocol versions 1.4 to 1.4.2: version negotiation and the
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
// rules (see table.versionFirst).
//
// Index events reach the sessions through HandleEvent (synchronous) or the
// callback returned by Notifier (non-blocking, for the index's Notify hook).
package electrum
