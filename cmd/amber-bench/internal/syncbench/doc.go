// Package syncbench measures how fast blocks can be fetched raw from a
// bitcoind-compatible daemon (the physical limit of an indexer's sync) and
// holds the progress series amber-bench sync reports: (time, height)
// points, thinned to a bounded length, and the rates derived from them.
//
// Fetch fetches every block 0..tip the way a fast indexer does: batched
// JSON-RPC getblockhash, then getblock <hash> 0 for the same batch, with a
// number of batches in flight; it hex-decodes each block and counts its
// bytes and transactions (TxCount reads the varint after the 80-byte
// header, no full decode).
//
// Watch follows an indexer being synced (an amberproc.Proc): it polls the
// admin getinfo until the daemon's tip is indexed and the index reports
// synced, sampling the height and the RSS of the indexer and of its chain
// plugin at every poll.
package syncbench
