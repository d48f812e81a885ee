// Package electrum implements the Electrum protocol methods (protocol.md
// §3–§4) for protocol versions 1.4 to 1.4.2: version negotiation and the
// per-version handler tables, parameter validation with the upstream error
// texts, script hash status, the history / block-txid / merkle / estimatefee
// caches (sessions-and-costs.md §7), per-method costs, and the notification
// fan-out driven by index events (sessions-and-costs.md §8).
//
// *Server implements session.Dispatcher. Handlers see a session through the
// small Sess interface so they can be tested without a network session.
package electrum
