// Package merkle computes Bitcoin transaction merkle branches as
// protocol.md §2.5 describes them (the encoding of get_merkle): leaves are
// txids in internal byte order, an odd row duplicates its last entry, the
// branch lists the siblings from the deepest level up. It also holds the
// double SHA-256 the first-party plugins hash headers with; it lives under
// plugins/internal so that every plugin can share it.
package merkle

import (
	"crypto/sha256"

	"github.com/amber-electrum/amber/sdk"
)

// DoubleSHA256 returns SHA-256(SHA-256(b)).
func DoubleSHA256(b []byte) sdk.Hash {
	first := sha256.Sum256(b)
	return sdk.Hash(sha256.Sum256(first[:]))
}

func pair(a, b sdk.Hash) sdk.Hash {
	var buf [64]byte
	copy(buf[:32], a[:])
	copy(buf[32:], b[:])
	return DoubleSHA256(buf[:])
}

// Branch returns the merkle branch of leaves[pos] and the merkle root. It
// returns nil and the zero hash for an empty list or a position out of range.
func Branch(leaves []sdk.Hash, pos int) (branch []sdk.Hash, root sdk.Hash) {
	if pos < 0 || pos >= len(leaves) {
		return nil, sdk.Hash{}
	}
	row := append([]sdk.Hash(nil), leaves...)
	for len(row) > 1 {
		if len(row)%2 == 1 {
			row = append(row, row[len(row)-1])
		}
		branch = append(branch, row[pos^1])
		next := make([]sdk.Hash, len(row)/2)
		for i := range next {
			next[i] = pair(row[2*i], row[2*i+1])
		}
		row, pos = next, pos>>1
	}
	return branch, row[0]
}

// Root folds branch into leaf at position pos: what a client does to check
// a branch against a header's merkle root.
func Root(leaf sdk.Hash, branch []sdk.Hash, pos int) sdk.Hash {
	h := leaf
	for _, s := range branch {
		if pos&1 == 1 {
			h = pair(s, h)
		} else {
			h = pair(h, s)
		}
		pos >>= 1
	}
	return h
}

// Display returns the branch as get_merkle sends it: display-order hex.
func Display(branch []sdk.Hash) []string {
	out := make([]string, len(branch))
	for i, h := range branch {
		out[i] = h.String()
	}
	return out
}

// ParseDisplay reads a branch sent as display-order hex.
func ParseDisplay(branch []string) ([]sdk.Hash, error) {
	out := make([]sdk.Hash, len(branch))
	for i, s := range branch {
		h, err := sdk.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
