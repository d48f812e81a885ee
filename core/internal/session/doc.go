// Package session runs client connections: one Session per connection reads
// whole messages from its transport, decodes them with the jsonrpc codec,
// runs each request through a Dispatcher under the session's concurrency
// limit and request deadline, and writes replies and notifications through a
// single writer. The Manager owns the set of live sessions.
//
// The package knows nothing about Electrum methods: those live behind the
// Dispatcher interface (package electrum for clients, package admin for the
// admin RPC).
//
// Resource accounting (sessions-and-costs.md §2–§5): every session has a
// cost account (package cost) charged for the connection, method work
// (AddCost), bandwidth and error replies (timeouts included). Its cost
// plus its groups' share sets the concurrency target the session's
// semaphore follows (shrinking gradually, growing at once) and the sleep
// before each request; at target 0 the next request is answered -101 and
// the session closed. Manager.Run does the periodic work: the idle sweep
// (SESSION_TIMEOUT) every tenth of the timeout (at most 60 s) and group refunds, decay reset and recalc
// every 300 s. Time comes from the cost model's clock, so tests drive it.
package session
