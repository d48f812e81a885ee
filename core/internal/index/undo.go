package index

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// undoRecord is everything needed to revert one block.
//
// Encoding: version(1)=1 | txCountBefore(8) |
// nHist(4) { hashX(11) txnum(5) } | nCreated(4) { txid(32) vout(4) } |
// nSpent(4) { txid(32) vout(4) hashX(11) txnum(5) value(8) height(4) }.
type undoRecord struct {
	txCountBefore uint64
	hist          []histRef
	created       []outpoint
	spent         []spentOut
}

type histRef struct {
	hx    HashX
	txnum uint64
}

type outpoint struct {
	txid sdk.Hash
	vout uint32
}

type spentOut struct {
	op outpoint
	outVal
}

const (
	undoVersion    = 1
	histRefLen     = 16
	outpointLen    = 36
	spentLen       = outpointLen + outValLen
	maxUndoEntries = 1 << 26
)

var errUndoRecord = errors.New("malformed undo record")

func (u *undoRecord) encode() []byte {
	n := 1 + 8 + 12 + len(u.hist)*histRefLen + len(u.created)*outpointLen + len(u.spent)*spentLen
	b := make([]byte, 0, n)
	b = append(b, undoVersion)
	b = binary.BigEndian.AppendUint64(b, u.txCountBefore)
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.hist)))
	var t [5]byte
	for _, h := range u.hist {
		b = append(b, h.hx[:]...)
		put5(t[:], h.txnum)
		b = append(b, t[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.created)))
	for _, o := range u.created {
		b = append(b, o.txid[:]...)
		b = binary.BigEndian.AppendUint32(b, o.vout)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(u.spent)))
	for _, s := range u.spent {
		b = append(b, s.op.txid[:]...)
		b = binary.BigEndian.AppendUint32(b, s.op.vout)
		b = append(b, s.outVal.encode()...)
	}
	return b
}

func decodeUndo(b []byte) (*undoRecord, error) {
	if len(b) < 9 || b[0] != undoVersion {
		return nil, errUndoRecord
	}
	u := &undoRecord{txCountBefore: binary.BigEndian.Uint64(b[1:])}
	b = b[9:]
	count := func(size int) (int, error) {
		if len(b) < 4 {
			return 0, errUndoRecord
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if n > maxUndoEntries || int(n)*size > len(b) {
			return 0, fmt.Errorf("%w: %d entries of %d bytes in %d", errUndoRecord, n, size, len(b))
		}
		return int(n), nil
	}
	n, err := count(histRefLen)
	if err != nil {
		return nil, err
	}
	u.hist = make([]histRef, n)
	for i := range u.hist {
		copy(u.hist[i].hx[:], b)
		u.hist[i].txnum = get5(b[11:])
		b = b[histRefLen:]
	}
	if n, err = count(outpointLen); err != nil {
		return nil, err
	}
	u.created = make([]outpoint, n)
	for i := range u.created {
		copy(u.created[i].txid[:], b)
		u.created[i].vout = binary.BigEndian.Uint32(b[32:])
		b = b[outpointLen:]
	}
	if n, err = count(spentLen); err != nil {
		return nil, err
	}
	u.spent = make([]spentOut, n)
	for i := range u.spent {
		s := &u.spent[i]
		copy(s.op.txid[:], b)
		s.op.vout = binary.BigEndian.Uint32(b[32:])
		if s.outVal, err = decodeOutVal(b[outpointLen:spentLen]); err != nil {
			return nil, err
		}
		b = b[spentLen:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errUndoRecord, len(b))
	}
	return u, nil
}
