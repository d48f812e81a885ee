// Package index builds and serves the chain index the Electrum protocol
// needs: headers, per-block txids, history and UTXOs per script (hashX),
// undo data for reorganisations, and the mempool view with its fee
// histogram. It reads blocks from a Chain (the daemon plugin) and keeps its
// state in a store.Store, committing every batch of blocks atomically with
// the state record so that a crash at any moment leaves the last committed
// consistent state.
package index
