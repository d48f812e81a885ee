package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// Independent merkle arithmetic for checking the server's proofs
// (docs/protocol.md: Merkle branches, Checkpoint proofs). Hashes are sdk.Hash
// values in internal byte order; proofs on the wire are display-order hex.

// ScriptHash returns the Electrum script hash of an output script: SHA-256
// of the script, byte-reversed, hex (docs/protocol.md, Script hashes).
func ScriptHash(script []byte) string {
	return sdk.Hash(sha256.Sum256(script)).String()
}

func dsha(a, b sdk.Hash) sdk.Hash {
	var buf [64]byte
	copy(buf[:32], a[:])
	copy(buf[32:], b[:])
	first := sha256.Sum256(buf[:])
	return sdk.Hash(sha256.Sum256(first[:]))
}

// MerkleRoot returns the Bitcoin merkle root of leaves (the last entry of
// an odd row is paired with itself). It panics on an empty list.
func MerkleRoot(leaves []sdk.Hash) sdk.Hash {
	if len(leaves) == 0 {
		panic("MerkleRoot of no leaves")
	}
	row := append([]sdk.Hash(nil), leaves...)
	for len(row) > 1 {
		if len(row)%2 == 1 {
			row = append(row, row[len(row)-1])
		}
		next := make([]sdk.Hash, len(row)/2)
		for i := range next {
			next[i] = dsha(row[2*i], row[2*i+1])
		}
		row = next
	}
	return row[0]
}

// ApplyBranch folds a merkle branch (display-order hex, deepest first) onto
// leaf at index pos and returns the resulting root. It fails if the branch
// is malformed or pos does not fit in len(branch) levels (Electrum's own
// check).
func ApplyBranch(leaf sdk.Hash, pos int, branch []string) (sdk.Hash, error) {
	if pos < 0 || (len(branch) < 63 && pos >= 1<<len(branch)) {
		return sdk.Hash{}, fmt.Errorf("pos %d does not fit a branch of %d", pos, len(branch))
	}
	h := leaf
	for i, s := range branch {
		sib, err := sdk.ParseHash(s)
		if err != nil {
			return sdk.Hash{}, fmt.Errorf("branch[%d]: %w", i, err)
		}
		if pos&1 == 1 {
			h = dsha(sib, h)
		} else {
			h = dsha(h, sib)
		}
		pos >>= 1
	}
	return h, nil
}

// MerkleDepth is the number of branch levels for a tree of n leaves: the
// smallest d with 2^d >= n.
func MerkleDepth(n int) int {
	d := 0
	for 1<<d < n {
		d++
	}
	return d
}

// HexBytes decodes hex or returns nil.
func HexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}
