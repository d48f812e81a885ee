// Package daemonrpc is a JSON-RPC client for Bitcoin Core-compatible daemons
// (bitcoind, btcd) as ElectrumX uses them (docs/protocol.md, Daemon connection). It is
// shared by the first-party plugins (the chain backend and the BMM plugin's
// mainchain client); plugins/internal keeps it to plugins/.
//
// A Client holds a list of daemon URLs (the first is current), sends single
// and batched calls over HTTP POST with basic auth, keeps at most 10 HTTP
// requests in flight, and retries transport failures, service refusals
// (replies that are not JSON, e.g. a 401 page) and warm-up errors (-28) with
// exponential backoff (0.25 s doubling to 4 s), failing over round-robin to
// the next URL when a failure happens at the maximum delay. It retries until
// the caller's context is done and then returns an *sdk.Error of
// KindUnavailable that says what failed. Any other JSON-RPC error is
// returned at once as sdk.DaemonError.
//
// Reply bodies are read as streams. BatchHex, for batches whose results are
// hex strings (getblock verbosity 0), decodes each result into bytes as it
// arrives, never holding the reply's JSON or hex, and keeps results only up
// to a byte limit (the first always): the rest are read and dropped. A reply
// cut in the middle is a transport failure, retried like the others.
//
// Differences from the ElectrumX client, all for btcd's sake: every request
// carries "jsonrpc":"1.0" (btcd answers an empty body without it) and callers
// pass verbosity as integers. IsMethodMissing also treats btcd's -1
// "Command unimplemented" (getnetworkinfo) as a missing method.
package daemonrpc
