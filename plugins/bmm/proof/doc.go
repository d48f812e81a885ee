// Package proof builds the answer of blockchain.transaction.bmm_merkle
// (spec bmm.md): the sidechain transaction's merkle branch, the sidechain
// block hash h* (critical_hash), and the mainchain block whose coinbase
// accepted h* under BIP301 with that coinbase and its merkle branch, so a
// light client can verify everything from the headers.
//
// Sources: the sidechain through the small Sidechain interface (in the
// plugin, amberd's host services: TxMerkle and Headers), the h* index of
// package store, and the mainchain node (getblockhash to make sure the
// indexed block is still on the best chain, getblock for the block). The
// coinbase branch is computed here from the block's txids.
//
// Errors (sdk kinds, which amberd maps to Electrum codes):
//   - bad parameters: KindInvalidArgument with get_merkle's messages
//     ("<value> should be a transaction hash", "... should be a
//     non-negative integer");
//   - transaction not in the sidechain block: KindInvalidArgument
//     "tx <tx_hash> not in block at height <height>", as get_merkle;
//   - no BMM Accept for the block on the current mainchain (none indexed,
//     or the indexed mainchain block left the best chain and the follower
//     has not caught up yet): KindInvalidArgument naming the sidechain
//     height, h* and the sidechain number;
//   - mainchain node unreachable or answering with an error: KindUnavailable
//     or KindDaemon (both DAEMON_ERROR for clients);
//   - sidechain errors from the Sidechain implementation are passed on.
//
// The coinbase is sent in the legacy (non-witness) serialisation, so its
// double SHA-256 is the coinbase txid the branch starts from.
package proof
