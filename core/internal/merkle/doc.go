// Package merkle builds the Bitcoin-style merkle branches the Electrum
// protocol serves (protocol.md §2.5, §2.6): transaction branches inside a
// block (blockchain.transaction.get_merkle, id_from_pos) and checkpoint proofs
// of block headers against the tree of block hashes 0..cp_height
// (blockchain.block.header(s) with cp_height). Tree caches one interior level
// so repeated proofs over a large leaf set hash only about √N nodes.
package merkle
