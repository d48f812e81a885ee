package bip301

import (
	"bytes"

	"github.com/btcsuite/btcd/wire"
)

// Header is the 4-byte BMM Accept message header.
var Header = [4]byte{0xD1, 0x61, 0x73, 0x68}

const (
	opReturn   = 0x6a
	payloadLen = 4 + 1 + 32 // header, sidechain number, h*
	// RawLen is the length of a raw-layout BMM Accept script.
	RawLen = 1 + payloadLen
	// PushedLen is the length of the single-push layout.
	PushedLen = 2 + payloadLen
)

// Layout says how a BMM Accept script is encoded.
type Layout int

const (
	// Raw is BIP301's layout: OP_RETURN followed by the 37 payload bytes.
	Raw Layout = iota
	// Pushed wraps the 37 payload bytes in one direct push (0x25).
	Pushed
)

func (l Layout) String() string {
	if l == Pushed {
		return "pushed"
	}
	return "raw"
}

// Accept is one BMM Accept message.
type Accept struct {
	Sidechain uint8
	HStar     [32]byte // sidechain block hash, internal byte order
}

// Parse reads a BMM Accept from a scriptPubKey in either layout.
func Parse(script []byte) (Accept, Layout, bool) {
	var payload []byte
	var layout Layout
	switch {
	case len(script) == RawLen && script[0] == opReturn:
		payload, layout = script[1:], Raw
	case len(script) == PushedLen && script[0] == opReturn && script[1] == payloadLen:
		payload, layout = script[2:], Pushed
	default:
		return Accept{}, 0, false
	}
	if !bytes.Equal(payload[:4], Header[:]) {
		return Accept{}, 0, false
	}
	var a Accept
	a.Sidechain = payload[4]
	copy(a.HStar[:], payload[5:])
	return a, layout, true
}

// Script returns a's scriptPubKey in the given layout.
func (a Accept) Script(l Layout) []byte {
	s := make([]byte, 0, PushedLen)
	s = append(s, opReturn)
	if l == Pushed {
		s = append(s, payloadLen)
	}
	s = append(s, Header[:]...)
	s = append(s, a.Sidechain)
	return append(s, a.HStar[:]...)
}

// TxOut returns a zero-value coinbase output carrying a.
func (a Accept) TxOut(l Layout) *wire.TxOut { return wire.NewTxOut(0, a.Script(l)) }

// Found is a BMM Accept found in a transaction.
type Found struct {
	Accept
	Vout   uint32 // output index
	Layout Layout
}

// FromTx returns the BMM Accepts among tx's outputs, in output order.
// Callers pass the mainchain coinbase: BIP301 accepts live only there.
func FromTx(tx *wire.MsgTx) []Found {
	var out []Found
	for i, o := range tx.TxOut {
		if a, l, ok := Parse(o.PkScript); ok {
			out = append(out, Found{Accept: a, Vout: uint32(i), Layout: l})
		}
	}
	return out
}

// ForSidechain returns the accepts of sidechain n in tx (see FromTx).
func ForSidechain(tx *wire.MsgTx, n uint8) []Found {
	var out []Found
	for _, f := range FromTx(tx) {
		if f.Sidechain == n {
			out = append(out, f)
		}
	}
	return out
}
