package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/amber-electrum/amber/sdk"
)

// undoRecord is what reverting one block needs.
//
// Version 2 (written since v2 was introduced) keeps only what no row left
// at revert time holds: the input and output counts of each tx, and for
// each spent output its script's hashX, the tx_num of its funding tx, its
// vout and value. A revert derives the rest (see planRevert) with point
// reads: the block's txids from its B row, its outputs from the O rows
// (txid, vout) for every vout of each tx, a spent output's txid and height
// from the X row (hashX, funding tx_num), and the X rows to delete from
// the hashXs each tx spent or paid. nHist is the number of X rows the
// block wrote, checked against what the revert derives.
//
//	version(1)=2 | uvarint txCountBefore | uvarint ntx | uvarint nHist |
//	ntx × { uvarint nIn uvarint nOut } |
//	Σ nIn × { hashX(11) uvarint(txCountBefore+ntx-txnum) uvarint vout uvarint value }
//
// nIn counts the inputs the index spends (none for the coinbase); nOut
// every output, unspendable ones included. The spent outputs are in input
// order, tx by tx.
//
// Version 1 (still read: an index keeps up to REORG_LIMIT blocks of them)
// lists everything:
//
//	version(1)=1 | txCountBefore(8) |
//	nHist(4) { hashX(11) txnum(5) } | nCreated(4) { txid(32) vout(4) } |
//	nSpent(4) { txid(32) vout(4) hashX(11) txnum(5) value(8) height(4) }.
type undoRecord struct {
	version       byte // of a decoded record; encode always writes undoVersion
	txCountBefore uint64
	txs           []txCounts // v2: per tx of the block
	nHist         uint64     // v2: X rows the block wrote
	hist          []histRef  // v1 only
	created       []outpoint // v1 only
	// spent: in v2 only op.vout, hx, txnum and value are kept (op.txid
	// and height are derived at revert time).
	spent []spentOut
}

// txCounts is a tx's spent inputs and its outputs.
type txCounts struct{ in, out uint32 }

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
	undoV1         = 1
	undoVersion    = 2 // the version written
	histRefLen     = 16
	outpointLen    = 36
	spentLen       = outpointLen + outValLen
	spentV2MinLen  = len(HashX{}) + 3
	maxUndoEntries = 1 << 26
	// maxUndoOutputs bounds the outputs one block may create: 4M, nine
	// times what a 4 MB Bitcoin block can hold (9 bytes the smallest
	// output).
	maxUndoOutputs = 1 << 22
)

var errUndoRecord = errors.New("malformed undo record")

// encode returns u as a version-2 record. The txs' input counts must add
// up to len(u.spent), and every spent output's txnum must be below
// txCountBefore+len(u.txs).
func (u *undoRecord) encode() []byte {
	after := u.txCountBefore + uint64(len(u.txs))
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+2*len(u.txs)+len(u.spent)*(len(HashX{})+12))
	b = append(b, undoVersion)
	b = binary.AppendUvarint(b, u.txCountBefore)
	b = binary.AppendUvarint(b, uint64(len(u.txs)))
	b = binary.AppendUvarint(b, u.nHist)
	for _, c := range u.txs {
		b = binary.AppendUvarint(b, uint64(c.in))
		b = binary.AppendUvarint(b, uint64(c.out))
	}
	for i := range u.spent {
		s := &u.spent[i]
		b = append(b, s.hx[:]...)
		b = binary.AppendUvarint(b, after-s.txnum)
		b = binary.AppendUvarint(b, uint64(s.op.vout))
		b = binary.AppendUvarint(b, uint64(s.value))
	}
	return b
}

// decodeUndo decodes a version-1 or version-2 record.
func decodeUndo(b []byte) (*undoRecord, error) {
	if len(b) == 0 {
		return nil, errUndoRecord
	}
	switch b[0] {
	case undoV1:
		return decodeUndoV1(b)
	case undoVersion:
		return decodeUndoV2(b)
	}
	return nil, fmt.Errorf("%w: version %d", errUndoRecord, b[0])
}

// undoReader reads the varints of a v2 record, rejecting non-minimal ones
// (a record has exactly one encoding).
type undoReader struct {
	b   []byte
	err error
}

func (r *undoReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n > 1 && r.b[n-1] == 0 {
		r.err = errUndoRecord
		return 0
	}
	r.b = r.b[n:]
	return v
}

func decodeUndoV2(b []byte) (*undoRecord, error) {
	r := &undoReader{b: b[1:]}
	u := &undoRecord{version: undoVersion}
	u.txCountBefore = r.uvarint()
	ntx := r.uvarint()
	u.nHist = r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if ntx == 0 || u.txCountBefore > maxTxNum || ntx > maxTxNum+1-u.txCountBefore {
		return nil, fmt.Errorf("%w: tx_nums %d+%d", errUndoRecord, u.txCountBefore, ntx)
	}
	if u.nHist > maxUndoEntries || ntx > uint64(len(r.b)/2) {
		return nil, fmt.Errorf("%w: %d history rows, %d txs in %d bytes", errUndoRecord, u.nHist, ntx, len(r.b))
	}
	u.txs = make([]txCounts, ntx)
	var nSpent, nOut uint64
	for i := range u.txs {
		in, out := r.uvarint(), r.uvarint()
		if r.err != nil {
			return nil, r.err
		}
		if in > math.MaxUint32 || out > math.MaxUint32 {
			return nil, fmt.Errorf("%w: tx %d: %d inputs, %d outputs", errUndoRecord, i, in, out)
		}
		u.txs[i] = txCounts{in: uint32(in), out: uint32(out)}
		nSpent += in
		nOut += out
	}
	// A revert reads one row per output the record claims: a corrupt
	// count must not make it read for hours.
	if nOut > maxUndoOutputs {
		return nil, fmt.Errorf("%w: %d outputs (at most %d)", errUndoRecord, nOut, maxUndoOutputs)
	}
	if nSpent > uint64(len(r.b)/spentV2MinLen) {
		return nil, fmt.Errorf("%w: %d spent outputs in %d bytes", errUndoRecord, nSpent, len(r.b))
	}
	after := u.txCountBefore + ntx
	u.spent = make([]spentOut, nSpent)
	for i := range u.spent {
		s := &u.spent[i]
		if len(r.b) < len(s.hx) {
			return nil, errUndoRecord
		}
		copy(s.hx[:], r.b)
		r.b = r.b[len(s.hx):]
		d := r.uvarint()
		vout := r.uvarint()
		s.value = int64(r.uvarint())
		if r.err != nil {
			return nil, r.err
		}
		if d == 0 || d > after || vout > math.MaxUint32 {
			return nil, fmt.Errorf("%w: spent output %d: tx_num back %d of %d, vout %d", errUndoRecord, i, d, after, vout)
		}
		s.txnum = after - d
		s.op.vout = uint32(vout)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errUndoRecord, len(r.b))
	}
	return u, nil
}

func decodeUndoV1(b []byte) (*undoRecord, error) {
	if len(b) < 9 {
		return nil, errUndoRecord
	}
	u := &undoRecord{version: undoV1, txCountBefore: binary.BigEndian.Uint64(b[1:])}
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
