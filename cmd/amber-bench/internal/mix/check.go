package mix

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Check verifies a result against the expected answers carried by req
// (nil: fine or not checkable). The chain must not have changed since the
// targets file was written.
func Check(req Request, result json.RawMessage) error {
	switch req.Method {
	case History, ListUnspent:
		var items []json.RawMessage
		if err := json.Unmarshal(result, &items); err != nil {
			return fmt.Errorf("%s: %w", req.Method, err)
		}
		want := req.Script.History
		if req.Method == ListUnspent {
			want = req.Script.UTXOs
		}
		if len(items) != want {
			return fmt.Errorf("%s %s: %d entries, want %d", req.Method, req.Script.ScriptHash, len(items), want)
		}
	case Balance:
		var b struct{ Confirmed, Unconfirmed int64 }
		if err := json.Unmarshal(result, &b); err != nil {
			return fmt.Errorf("%s: %w", req.Method, err)
		}
		if b.Confirmed != req.Script.Confirmed || b.Unconfirmed != req.Script.Unconfirmed {
			return fmt.Errorf("%s %s: %d/%d, want %d/%d", req.Method, req.Script.ScriptHash,
				b.Confirmed, b.Unconfirmed, req.Script.Confirmed, req.Script.Unconfirmed)
		}
	case TxGet:
		var s string
		if err := json.Unmarshal(result, &s); err != nil {
			return fmt.Errorf("%s: %w", req.Method, err)
		}
		raw, err := hex.DecodeString(s)
		if err != nil {
			return fmt.Errorf("%s: %w", req.Method, err)
		}
		if got := txid(raw); got != req.Entry.TxHash {
			return fmt.Errorf("%s %s: returned transaction %s", req.Method, req.Entry.TxHash, got)
		}
	case Merkle:
		var m struct {
			BlockHeight int64 `json:"block_height"`
			Merkle      []string
		}
		if err := json.Unmarshal(result, &m); err != nil {
			return fmt.Errorf("%s: %w", req.Method, err)
		}
		if m.BlockHeight != req.Entry.Height {
			return fmt.Errorf("%s %s: block_height %d, want %d", req.Method, req.Entry.TxHash, m.BlockHeight, req.Entry.Height)
		}
	case BlockHeader:
		var s string
		if err := json.Unmarshal(result, &s); err != nil || len(s) != 160 {
			return fmt.Errorf("%s: not an 80-byte header: %.40s", req.Method, result)
		}
	}
	return nil
}

// txid is the display txid of a raw transaction, witness data stripped.
func txid(raw []byte) string {
	h := sha256.Sum256(stripWitness(raw))
	h = sha256.Sum256(h[:])
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	return hex.EncodeToString(h[:])
}

// stripWitness returns the legacy serialisation of a transaction (a
// malformed one is returned unchanged: its hash then simply mismatches).
func stripWitness(raw []byte) []byte {
	if len(raw) < 10 || raw[4] != 0 || raw[5] != 1 {
		return raw
	}
	p := &parser{b: raw, i: 6}
	nIn := p.varint()
	for range nIn {
		p.skip(36)
		p.skip(int(p.varint()))
		p.skip(4)
	}
	nOut := p.varint()
	for range nOut {
		p.skip(8)
		p.skip(int(p.varint()))
	}
	ioEnd := p.i
	if p.bad || ioEnd > len(raw)-4 { // no room for the lock time: malformed
		return raw
	}
	var out bytes.Buffer
	out.Write(raw[:4])
	out.Write(raw[6:ioEnd])
	out.Write(raw[len(raw)-4:])
	return out.Bytes()
}

type parser struct {
	b   []byte
	i   int
	bad bool
}

func (p *parser) skip(n int) {
	if n < 0 || p.i+n > len(p.b) {
		p.bad, p.i = true, len(p.b)
		return
	}
	p.i += n
}

func (p *parser) varint() uint64 {
	if p.i >= len(p.b) {
		p.bad = true
		return 0
	}
	c := p.b[p.i]
	p.i++
	n := 0
	switch c {
	case 0xfd:
		n = 2
	case 0xfe:
		n = 4
	case 0xff:
		n = 8
	default:
		return uint64(c)
	}
	if p.i+n > len(p.b) {
		p.bad = true
		return 0
	}
	var v uint64
	for k := n - 1; k >= 0; k-- {
		v = v<<8 | uint64(p.b[p.i+k])
	}
	p.i += n
	if v > uint64(len(p.b)) {
		p.bad = true
		return 0
	}
	return v
}
