// Package session runs client connections: one Session per connection reads
// whole messages from its transport, decodes them with the jsonrpc codec,
// runs each request through a Dispatcher under the session's concurrency
// limit and request deadline, and writes replies and notifications through a
// single writer. The Manager owns the set of live sessions.
//
// The package knows nothing about Electrum methods: those live behind the
// Dispatcher interface (package electrum for clients, package admin for the
// admin RPC). Cost accounting hooks (AddCost, error and bandwidth cost) are
// recorded here; throttling policy belongs to the cost model.
package session
