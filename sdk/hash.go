package sdk

import (
	"encoding/hex"
	"fmt"
)

// Hash is a 32-byte double-SHA256 hash (block hash or txid) in internal byte
// order, the order in which it is serialized in blocks and transactions.
type Hash [32]byte

// String returns the hash in display order: byte-reversed, lower-case hex, as
// bitcoind and Electrum show txids and block hashes.
func (h Hash) String() string {
	var r [32]byte
	for i := range h {
		r[i] = h[31-i]
	}
	return hex.EncodeToString(r[:])
}

// ParseHash parses a display-order hex hash (64 hex characters, any case).
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("hash %q: want 64 hex characters, got %d", s, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("hash %q: %w", s, err)
	}
	for i := range h {
		h[i] = b[31-i]
	}
	return h, nil
}

// HashFromBytes copies an internal-order 32-byte slice into a Hash.
func HashFromBytes(b []byte) (Hash, error) {
	var h Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("hash: want 32 bytes, got %d", len(b))
	}
	copy(h[:], b)
	return h, nil
}
