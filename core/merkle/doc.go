// Package merkle is Amber's one home for Bitcoin's double SHA-256 and merkle
// trees, shared by the core and the first-party plugins (it imports only
// the SDK's Hash type). It builds the branches the Electrum protocol serves
// (docs/methods.md: blockchain.transaction.get_merkle, id_from_pos, and the
// cp_height checkpoint proofs of blockchain.block.header(s) against the tree
// of block hashes 0..cp_height), folds a branch back to its root (Fold) and
// converts branches to and from the protocol's display-order hex. Leaves are
// in internal byte order, an odd row duplicates its last entry, and a branch
// lists the siblings from the deepest level up. Tree caches one interior
// level so repeated proofs over a large leaf set hash only about √N nodes.
package merkle
