// Package rpcclient is a minimal pipelining Electrum JSON-RPC client over
// newline-framed TCP: Call is safe for concurrent use and requests from
// several goroutines are in flight together on one connection; responses are
// matched by id; notifications are counted and, with Options.OnNotify,
// handed to a callback with their arrival time.
package rpcclient
