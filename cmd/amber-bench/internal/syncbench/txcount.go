package syncbench

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderSize is the size of a serialized block header.
const HeaderSize = 80

var (
	errShort      = errors.New("block shorter than its header and transaction count")
	errNonCanon   = errors.New("non-canonical transaction count varint")
	errBadTxCount = errors.New("implausible transaction count")
)

// minTxSize is the smallest possible serialized transaction (version, one
// byte each for the input and output counts, lock time).
const minTxSize = 10

// TxCount returns the number of transactions of a serialized block: the
// Bitcoin varint (CompactSize) right after the 80-byte header. It rejects a
// short block, a non-canonical varint, zero transactions and a count the
// rest of the block cannot hold.
func TxCount(raw []byte) (int, error) {
	if len(raw) <= HeaderSize {
		return 0, errShort
	}
	n, size, err := readVarInt(raw[HeaderSize:])
	if err != nil {
		return 0, err
	}
	rest := uint64(len(raw) - HeaderSize - size)
	if n == 0 || n > rest/minTxSize {
		return 0, fmt.Errorf("%w: %d in %d bytes", errBadTxCount, n, rest)
	}
	return int(n), nil
}

// readVarInt decodes a canonical CompactSize from b and returns it with its
// encoded size.
func readVarInt(b []byte) (v uint64, size int, err error) {
	if len(b) == 0 {
		return 0, 0, errShort
	}
	var min uint64
	switch b[0] {
	case 0xfd:
		size, min = 3, 0xfd
	case 0xfe:
		size, min = 5, 0x10000
	case 0xff:
		size, min = 9, 0x100000000
	default:
		return uint64(b[0]), 1, nil
	}
	if len(b) < size {
		return 0, 0, errShort
	}
	switch size {
	case 3:
		v = uint64(binary.LittleEndian.Uint16(b[1:]))
	case 5:
		v = uint64(binary.LittleEndian.Uint32(b[1:]))
	default:
		v = binary.LittleEndian.Uint64(b[1:])
	}
	if v < min {
		return 0, 0, errNonCanon
	}
	return v, size, nil
}
