// Package jsonrpc is the JSON-RPC 2.0 codec of the Electrum protocol
// (docs/protocol.md: Dialects and batches, Error codes): message
// framing-independent decoding of single requests and batches, dialect
// detection (2.0, 1.0, loose), request ids, error objects and codes,
// parameter binding, and response and notification encoding. It knows nothing
// about sockets or sessions.
package jsonrpc
