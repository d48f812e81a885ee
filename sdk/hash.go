package sdk

import (
	"encoding/hex"
	"fmt"
)

// Hash is a 32-byte hash in internal byte order, the order in which it is
// serialized in blocks and transactions: a double-SHA256 (block hash, txid,
// merkle node) or an Electrum script hash (the single SHA-256 of a
// scriptPubKey, as the protocol's scripthash methods use).
//
// Every text form of a Hash (String, MarshalText, and through it JSON and
// log/slog attributes) is the display order: the 32 bytes reversed, as
// lower-case hex. That is how bitcoind and Electrum show txids and block
// hashes, and it is also the order of an Electrum script hash on the wire
// (the protocol reverses the SHA-256 of the script the same way). ParseHash
// and UnmarshalText read that form back.
type Hash [32]byte

// String returns the hash in display order: byte-reversed, lower-case hex, as
// bitcoind and Electrum show txids and block hashes.
func (h Hash) String() string {
	return string(h.appendHex(make([]byte, 0, 64)))
}

func (h Hash) appendHex(dst []byte) []byte {
	const digits = "0123456789abcdef"
	for i := 31; i >= 0; i-- {
		dst = append(dst, digits[h[i]>>4], digits[h[i]&0x0f])
	}
	return dst
}

// MarshalText implements encoding.TextMarshaler with String's form, so JSON
// encodes a Hash as a display-hex string and log/slog handlers (text and
// JSON) show it as hex, not as 32 decimal bytes.
func (h Hash) MarshalText() ([]byte, error) {
	return h.appendHex(make([]byte, 0, 64)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: it reads what
// MarshalText writes (display-order hex, any case), as ParseHash does.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
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
