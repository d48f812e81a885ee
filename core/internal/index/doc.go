// Package index builds and serves the chain index the Electrum protocol
// needs: headers, per-block txids, history and UTXOs per script (hashX),
// undo data for reorganisations, and the mempool view with its fee
// histogram. It reads blocks from a Chain (the daemon plugin) and keeps its
// state in a store.Store (key schema in keys.go).
//
// Crash safety: every batch of blocks, and every undone block, is one store
// transaction that also writes the state record (height, tip, tx count), so
// after a crash the store holds exactly the last committed state; there are
// no flat files and nothing to repair on Open.
//
// Initial sync: a pipeline (syncpipe.go) streams blocks from the plugin,
// parses them and looks up their spent outputs on GOMAXPROCS workers,
// prepares batches in chain order against an in-memory overlay of the
// outputs of batches not yet committed (prepare.go), and commits batch N
// while batch N+1 is prepared. Batches are bounded by SyncCacheBytes
// (config cache_mb); once caught up, every block is its own commit. Progress
// (height, tx/s, blocks/s, percent, ETA) is logged every ProgressInterval
// and reported in Status.Sync.
//
// Notifications: a reorg is notified once, for its final state: nothing is
// sent for the fork point or the new branch's blocks; one Reorg event
// follows when the index is back at the daemon's tip and its mempool has
// been rebuilt.
//
// Consistency: block commits take the mempool write lock around the store
// transaction and the removal of confirmed and conflicting mempool txs;
// History, Balance and ListUnspent read the store and the mempool under the
// mempool read lock, so a query sees a batch entirely or not at all and never
// lists a txid both confirmed and unconfirmed. Their confirmed part is
// kept in memory (at most 16 MiB, qcache.go) until the next commit, which
// drops it all: a repeated query is answered from the last committed state
// without reading the store.
//
// Deliberate difference from ElectrumX: outputs to OP_RETURN scripts are
// skipped in the mempool as in the chain index (docs/protocol.md, Upstream
// quirks 4), so a script's view does not change when its transaction
// confirms.
package index
