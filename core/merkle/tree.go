package merkle

import "github.com/amber-electrum/amber/sdk"

// Tree answers branch queries over a fixed leaf set while hashing only about
// √N nodes per query: it keeps the leaves and one interior level (the row
// at about half the tree height), like ElectrumX's MerkleCache. A Tree is
// immutable after NewTree and safe for concurrent use.
type Tree struct {
	leaves []sdk.Hash
	level  []sdk.Hash // row at height split: level[k] = root of leaves[k<<split : (k+1)<<split]
	split  int
	depth  int
}

// NewTree builds the interior level for leaves (which it keeps; the caller
// must not modify them afterwards). leaves must not be empty.
func NewTree(leaves []sdk.Hash) *Tree {
	depth := Depth(len(leaves))
	split := depth / 2
	t := &Tree{leaves: leaves, split: split, depth: depth}
	size := 1 << split
	for start := 0; start < len(leaves); start += size {
		_, root := branchDepth(leaves[start:min(start+size, len(leaves))], 0, split)
		t.level = append(t.level, root)
	}
	return t
}

// Len returns the number of leaves.
func (t *Tree) Len() int { return len(t.leaves) }

// Branch returns the same branch and root as Branch(leaves, index).
func (t *Tree) Branch(index int) ([]sdk.Hash, sdk.Hash) {
	if index < 0 || index >= len(t.leaves) {
		return Branch(t.leaves, index) // panics with the range message
	}
	size := 1 << t.split
	start := index &^ (size - 1)
	lower, _ := branchDepth(t.leaves[start:min(start+size, len(t.leaves))], index-start, t.split)
	upper, root := branchDepth(t.level, index>>t.split, t.depth-t.split)
	return append(lower, upper...), root
}
