package merkle

import (
	"crypto/sha256"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// MaxDepth bounds the tree depth (2^MaxDepth leaves); Electrum 4.3.4 rejects
// branches longer than 30.
const MaxDepth = 30

// DoubleSHA256 returns SHA-256(SHA-256(b)): Bitcoin's txid, block hash and
// merkle node hash.
func DoubleSHA256(b []byte) sdk.Hash {
	first := sha256.Sum256(b)
	return sdk.Hash(sha256.Sum256(first[:]))
}

// Hash returns dSHA256(left || right), the interior node of two children.
func Hash(left, right sdk.Hash) sdk.Hash {
	var buf [64]byte
	copy(buf[:32], left[:])
	copy(buf[32:], right[:])
	return DoubleSHA256(buf[:])
}

// Depth returns the number of levels of a tree over n leaves: the smallest d
// with 2^d >= n (0 for n <= 1).
func Depth(n int) int {
	d := 0
	for (1 << d) < n {
		d++
	}
	return d
}

// Branch returns the merkle branch of leaves[index] (deepest pairing first,
// internal byte order) and the root. Leaves are in internal byte order. The
// caller must pass 0 <= index < len(leaves); Branch panics otherwise.
func Branch(leaves []sdk.Hash, index int) (branch []sdk.Hash, root sdk.Hash) {
	if index < 0 || index >= len(leaves) {
		panic(fmt.Sprintf("merkle: index %d out of range [0,%d)", index, len(leaves)))
	}
	return branchDepth(leaves, index, Depth(len(leaves)))
}

// Root returns the merkle root of leaves (the zero hash for no leaves).
func Root(leaves []sdk.Hash) sdk.Hash {
	if len(leaves) == 0 {
		return sdk.Hash{}
	}
	row := append([]sdk.Hash(nil), leaves...)
	for range Depth(len(leaves)) {
		row = nextRow(row)
	}
	return row[0]
}

// Fold folds branch from leaf at index (deepest sibling first, as Branch
// returns it) and returns the root it leads to. A branch proves leaf at
// index when Fold returns the block's merkle root. Bits of index above
// len(branch) are ignored.
func Fold(leaf sdk.Hash, branch []sdk.Hash, index int) sdk.Hash {
	h := leaf
	for _, sib := range branch {
		if index&1 == 1 {
			h = Hash(sib, h)
		} else {
			h = Hash(h, sib)
		}
		index >>= 1
	}
	return h
}

// branchDepth builds the branch of row[index] through exactly depth levels,
// duplicating the last entry of every odd row (also a single-entry row, so a
// partial subtree is padded to 2^depth leaves).
func branchDepth(row []sdk.Hash, index, depth int) ([]sdk.Hash, sdk.Hash) {
	branch := make([]sdk.Hash, 0, depth)
	row = append(make([]sdk.Hash, 0, len(row)+1), row...)
	for range depth {
		if len(row)&1 == 1 {
			row = append(row, row[len(row)-1])
		}
		branch = append(branch, row[index^1])
		index >>= 1
		row = nextRow(row)
	}
	return branch, row[0]
}

// nextRow pairs up row (duplicating an odd last entry) into the row above.
func nextRow(row []sdk.Hash) []sdk.Hash {
	if len(row)&1 == 1 {
		row = append(row, row[len(row)-1])
	}
	out := row[:len(row)/2]
	for i := range out {
		out[i] = Hash(row[2*i], row[2*i+1])
	}
	return out
}

// HeaderProof returns the checkpoint proof of the header at height against
// the tree of blockHashes, which must hold the hashes of heights 0..cp_height
// (docs/protocol.md, Checkpoint proofs).
func HeaderProof(blockHashes []sdk.Hash, height int) (branch []sdk.Hash, root sdk.Hash, err error) {
	if height < 0 || height >= len(blockHashes) {
		return nil, sdk.Hash{}, fmt.Errorf("merkle: header height %d not in 0..%d", height, len(blockHashes)-1)
	}
	branch, root = Branch(blockHashes, height)
	return branch, root, nil
}
