// Package transport accepts client connections and delivers whole messages:
// newline-framed JSON texts on tcp, ssl and rpc (admin) sockets, and one
// JSON text per websocket message on ws and wss (docs/protocol.md, Framing). It
// enforces the inbound size limit MAX_RECV (docs/protocol.md, Framing), the
// write deadline, and counts traffic; it knows nothing about JSON-RPC.
package transport
