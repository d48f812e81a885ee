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
// Consistency: block commits take the mempool write lock around the store
// transaction and the removal of confirmed and conflicting mempool txs;
// History, Balance and ListUnspent read the store and the mempool under the
// mempool read lock, so a query sees a batch entirely or not at all and never
// lists a txid both confirmed and unconfirmed.
//
// Deliberate difference from ElectrumX: outputs to OP_RETURN scripts are
// skipped in the mempool as in the chain index (protocol.md §10 quirk 15 is
// not reproduced), so a script's view does not change when its transaction
// confirms.
package index
