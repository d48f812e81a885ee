package index

import (
	"encoding/binary"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// Key schema (all integers big-endian so that keys sort numerically):
//
//	S                                → state (see state)
//	H height(4)                      → 80-byte header
//	B height(4)                      → txids of the block, 32 bytes each, block order
//	R height(4)                      → undo record (see undoRecord), last ReorgLimit blocks
//	X hashX(11) txnum(5)             → txid(32) height(4)            history
//	U hashX(11) txnum(5) vout(4)     → value(8) txid(32) height(4)   UTXOs by script
//	O txid(32) vout(4)               → hashX(11) txnum(5) value(8) height(4)  outpoints
const (
	pState  = 'S'
	pHeader = 'H'
	pBlock  = 'B'
	pUndo   = 'R'
	pHist   = 'X'
	pUTXO   = 'U'
	pOut    = 'O'

	histValLen = 36
	utxoValLen = 44
	outValLen  = 28
	maxTxNum   = 1<<40 - 1
)

func heightKey(p byte, h int64) []byte {
	k := make([]byte, 5)
	k[0] = p
	binary.BigEndian.PutUint32(k[1:], uint32(h))
	return k
}

func put5(b []byte, v uint64) {
	b[0] = byte(v >> 32)
	binary.BigEndian.PutUint32(b[1:], uint32(v))
}

func get5(b []byte) uint64 { return uint64(b[0])<<32 | uint64(binary.BigEndian.Uint32(b[1:])) }

func histKey(hx HashX, txnum uint64) []byte { return appendHistKey(make([]byte, 0, 17), hx, txnum) }

func appendHistKey(b []byte, hx HashX, txnum uint64) []byte {
	b = append(b, pHist)
	b = append(b, hx[:]...)
	return append5(b, txnum)
}

func utxoKey(hx HashX, txnum uint64, vout uint32) []byte {
	return appendUTXOKey(make([]byte, 0, 21), hx, txnum, vout)
}

func appendUTXOKey(b []byte, hx HashX, txnum uint64, vout uint32) []byte {
	b = append(b, pUTXO)
	b = append(b, hx[:]...)
	b = append5(b, txnum)
	return binary.BigEndian.AppendUint32(b, vout)
}

func outKey(txid *sdk.Hash, vout uint32) []byte { return appendOutKey(make([]byte, 0, 37), txid, vout) }

func appendOutKey(b []byte, txid *sdk.Hash, vout uint32) []byte {
	b = append(b, pOut)
	b = append(b, txid[:]...)
	return binary.BigEndian.AppendUint32(b, vout)
}

func append5(b []byte, v uint64) []byte {
	return append(b, byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func hxPrefix(p byte, hx HashX) []byte {
	k := make([]byte, 12)
	k[0] = p
	copy(k[1:], hx[:])
	return k
}

// outVal is the value of an O row.
type outVal struct {
	hx     HashX
	txnum  uint64
	value  int64
	height int64
}

func (o outVal) encode() []byte { return o.appendTo(make([]byte, 0, outValLen)) }

func (o outVal) appendTo(b []byte) []byte {
	b = append(b, o.hx[:]...)
	b = append5(b, o.txnum)
	b = binary.BigEndian.AppendUint64(b, uint64(o.value))
	return binary.BigEndian.AppendUint32(b, uint32(o.height))
}

func decodeOutVal(b []byte) (outVal, error) {
	var o outVal
	if len(b) != outValLen {
		return o, fmt.Errorf("outpoint row: %d bytes", len(b))
	}
	copy(o.hx[:], b)
	o.txnum = get5(b[11:])
	o.value = int64(binary.BigEndian.Uint64(b[16:]))
	o.height = int64(binary.BigEndian.Uint32(b[24:]))
	return o, nil
}

func utxoVal(value int64, txid *sdk.Hash, height int64) []byte {
	return appendUTXOVal(make([]byte, 0, utxoValLen), value, txid, height)
}

func appendUTXOVal(b []byte, value int64, txid *sdk.Hash, height int64) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(value))
	b = append(b, txid[:]...)
	return binary.BigEndian.AppendUint32(b, uint32(height))
}

func histVal(txid *sdk.Hash, height int64) []byte {
	b := make([]byte, histValLen)
	copy(b, txid[:])
	binary.BigEndian.PutUint32(b[32:], uint32(height))
	return b
}

// state is the S record, committed with every batch.
type state struct {
	height  int64 // -1 before genesis
	tip     sdk.Hash
	txCount uint64 // next tx_num
}

const (
	dbVersion   = 1
	stateLen    = 1 + 32 + 8 + 32 + 8
	stateKeyStr = "S"
)

func (s state) encode(genesis sdk.Hash) []byte {
	b := make([]byte, stateLen)
	b[0] = dbVersion
	copy(b[1:], genesis[:])
	binary.BigEndian.PutUint64(b[33:], uint64(s.height))
	copy(b[41:], s.tip[:])
	binary.BigEndian.PutUint64(b[73:], s.txCount)
	return b
}

func decodeState(b []byte, genesis sdk.Hash) (state, error) {
	var s state
	if len(b) < 1 || b[0] != dbVersion {
		return s, fmt.Errorf("index database version %v is not supported (want %d); rebuild the index", firstByte(b), dbVersion)
	}
	if len(b) != stateLen {
		return s, fmt.Errorf("index state record: %d bytes", len(b))
	}
	var g sdk.Hash
	copy(g[:], b[1:])
	if g != genesis {
		return s, fmt.Errorf("index database was built for genesis %s, not %s", g, genesis)
	}
	s.height = int64(binary.BigEndian.Uint64(b[33:]))
	copy(s.tip[:], b[41:])
	s.txCount = binary.BigEndian.Uint64(b[73:])
	return s, nil
}

func firstByte(b []byte) any {
	if len(b) == 0 {
		return "<empty>"
	}
	return b[0]
}
