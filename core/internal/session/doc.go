// Package session runs client connections: one Session per connection reads
// whole messages from its transport, decodes them with the jsonrpc codec,
// runs each request through the session's Handler under the session's
// concurrency limit and request deadline, and writes replies and
// notifications through a single writer. The Manager owns the set of live
// sessions.
//
// The package knows no protocol methods: a Factory (package electrum for
// clients, package admin for the admin RPC) opens one Handler per session,
// which answers the requests and owns the protocol state in typed fields;
// the session asks it (Handler.Info) for the client name, the negotiated
// protocol and the subscription count.
//
// Bounds against hostile clients (issue 11.2–11.5, 12.1, 12.13): the reader
// applies back-pressure (a single request, or a batch's first item, takes
// its concurrency slot before the next message is read; at most
// BatchesInFlight batches per session; MaxBatch items per batch); every
// request is answered or gets -102 within RequestTimeout of its arrival,
// slot wait and throttling sleep included; the end of the connection (EOF,
// as in aiorpcX, or a read failure, also seen while the reader is held
// back by back-pressure) cancels everything its session started and drops
// the replies queued for it; a batch is decoded only once it has its
// place and one of CPUs − 1 server-wide decoding turns, and batch items
// of all sessions run at most one per CPU at a time; a slot is held until its reply is written; the send queue is bounded in messages and bytes, and one
// server-wide budget (Options.SendBudget) covers queued messages and
// requests in progress, closing the largest holders when exceeded; a
// notification not written within NotifyTimeout closes the session;
// discarded oversized input is charged as bandwidth; admission
// (Options.Admission) caps sessions per address and subnet group and, at
// MaxSessions, sheds the oldest idle session of the most-connected group;
// the first request must come within HandshakeTimeout (a TLS handshake
// included); until the handler reports a negotiated protocol, requests run
// one at a time in order (SerialUntilProtocol).
//
// Resource accounting (docs/protocol.md, Sessions and costs): every session has a cost account (package cost)
// charged for the connection, method work (AddCost), bandwidth and error
// replies (timeouts included). Its cost plus its groups' share sets the
// concurrency target the session's semaphore follows (shrinking gradually,
// growing at once) and the sleep before each request; at target 0 the next
// request is answered -101 and the session closed. Manager.Run does the
// periodic work: the idle sweep (SESSION_TIMEOUT) every tenth of the
// timeout (at most 60 s) and group refunds, decay reset and recalc every
// 300 s. Time is time.Now; the tests run in testing/synctest bubbles.
package session
