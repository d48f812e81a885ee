// Package proof builds the answer of blockchain.transaction.bmm_merkle
// (docs/bmm.md): the sidechain transaction's merkle branch, the sidechain
// block hash h* (critical_hash), and the mainchain block whose coinbase
// accepted h* under BIP301 with that coinbase and its merkle branch, so a
// light client can verify everything from the headers.
//
// Sources: the sidechain through the small Sidechain interface (in the
// plugin, amberd's host services: TxMerkle and Headers), the h* index of
// package store, and the mainchain node: getblockhash to make sure the
// indexed block is on the best chain, getblock for the block, and
// getblockhash once more after the fetch, so that a reorg between the two
// calls never lets a block that just left the best chain be served. The
// coinbase branch is computed here from the block's txids. While the
// follower knows the node is down (Health), a request that needs the node
// fails at once instead of waiting MainTimeout.
//
// Errors (sdk kinds, which amberd maps to Electrum codes):
//   - bad parameters: KindInvalidArgument with get_merkle's messages
//     ("<value> should be a transaction hash", "... should be a
//     non-negative integer");
//   - transaction not in the sidechain block: KindInvalidArgument
//     "tx <tx_hash> not in block at height <height>", as get_merkle;
//   - no BMM Accept for the block on the current mainchain (none indexed;
//     the indexed mainchain block left the best chain or the best chain got
//     shorter than it, which bitcoind answers with -8 and btcd with -1
//     "Block number out of range"; the follower has not caught up yet):
//     KindInvalidArgument naming the sidechain height, h* and the sidechain
//     number;
//   - mainchain node known down, unreachable, or answering with an error:
//     KindUnavailable or KindDaemon (both DAEMON_ERROR for clients);
//   - sidechain errors from the Sidechain implementation are passed on.
//
// The coinbase is sent as the mainchain block carries it: with its witness
// when it has one (a segwit block's coinbase carries the witness reserved
// value). A client computes the coinbase txid, the leaf of the coinbase
// branch, from the non-witness serialisation; Verify does. docs/bmm.md
// states the whole client check with its byte layouts.
package proof
