// Package echo is a trivial newline-framed JSON-RPC server that answers
// every request with its own params as the result. amber-bench runs the same
// load against it as the transport's physical limit (JSON encoding, framing,
// loopback TCP, goroutine scheduling) to compare a real server with.
package echo
