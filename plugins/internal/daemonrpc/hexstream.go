package daemonrpc

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/amber-electrum/amber/sdk"
)

// HexReply is one item of a BatchHex reply. Raw holds the decoded bytes of a
// hex-string result; Err a daemon error (or a result that is not a hex
// string); Dropped marks a result read but discarded because it did not fit
// in the batch's byte limit.
type HexReply struct {
	Raw     []byte
	Err     *sdk.Error
	Dropped bool
}

// maxSmallValue bounds the JSON values other than results that a batch
// reply item may carry (error objects, ids, unknown members).
const maxSmallValue = 64 << 10

// streamBufSize is the read buffer of a streamed reply.
const streamBufSize = 64 << 10

// hexBatchReader parses a JSON-RPC batch reply whose results are hex strings
// from a stream, decoding each result into bytes as it arrives: it never
// holds the reply body, nor a result's hex. Results are kept while their
// total fits in limit bytes, and the first result of the reply is always
// kept (so that a batch always makes progress). Results past the limit are
// read and dropped, and a result that crosses the limit while it is decoded
// is dropped at that point, so the kept bytes never exceed max(limit, the
// size of the first result).
type hexBatchReader struct {
	r       *bufio.Reader
	firstID uint64
	out     []HexReply
	seen    []bool
	limit   int64
	kept    int64
	scratch []byte
}

// parseHexBatch reads a batch reply for n requests whose ids run from
// firstID. Every error is an *errMalformed (post tells read errors of the
// body apart). A single error object instead of an array becomes that
// error for every request, as in parseBatchReply.
func parseHexBatch(body io.Reader, firstID uint64, n int, limit int64) ([]HexReply, error) {
	p := &hexBatchReader{firstID: firstID, out: make([]HexReply, n), seen: make([]bool, n), limit: limit}
	p.r = bufio.NewReaderSize(body, streamBufSize)
	if err := p.parse(); err != nil {
		var m *errMalformed
		if !errors.As(err, &m) {
			err = &errMalformed{err.Error()}
		}
		return nil, err
	}
	return p.out, nil
}

func malformed(format string, args ...any) error { return &errMalformed{fmt.Sprintf(format, args...)} }

func (p *hexBatchReader) parse() error {
	c, err := p.next()
	if err != nil {
		return err
	}
	if c == '{' {
		return p.wholeBatchError()
	}
	if c != '[' {
		return malformed("batch reply starts with %q", c)
	}
	if c, err = p.next(); err != nil {
		return err
	}
	if c != ']' {
		_ = p.r.UnreadByte()
		for {
			if err := p.item(); err != nil {
				return err
			}
			if c, err = p.next(); err != nil {
				return err
			}
			if c == ']' {
				break
			}
			if c != ',' {
				return malformed("want , or ] after a batch item, got %q", c)
			}
		}
	}
	if c, err := p.next(); err != io.EOF {
		if err != nil {
			return err
		}
		return malformed("data after the batch reply: %q", c)
	}
	for k, ok := range p.seen {
		if !ok {
			return malformed("id %d missing from batch reply", p.firstID+uint64(k))
		}
	}
	return nil
}

// wholeBatchError handles a single reply object to a batch: the daemon
// refused the whole batch.
func (p *hexBatchReader) wholeBatchError() error {
	_ = p.r.UnreadByte()
	raw, err := p.value(maxSmallValue)
	if err != nil {
		return err
	}
	one, err := parseReply(raw)
	if err != nil {
		return err
	}
	if one.Err == nil {
		return malformed("object reply to a batch")
	}
	for i := range p.out {
		p.out[i] = HexReply{Err: one.Err}
		p.seen[i] = true
	}
	if c, err := p.next(); err != io.EOF {
		if err != nil {
			return err
		}
		return malformed("data after the reply: %q", c)
	}
	return nil
}

// item parses one reply object (members in any order; daemons send the
// result before the id).
func (p *hexBatchReader) item() error {
	c, err := p.next()
	if err != nil {
		return err
	}
	if c != '{' {
		return malformed("batch item starts with %q", c)
	}
	var (
		id       = -1
		rep      HexReply
		haveRes  bool
		rpcErr   *rpcError
		resultNo bool // result is null
	)
	for first := true; ; first = false {
		c, err := p.next()
		if err != nil {
			return err
		}
		if c == '}' && first {
			break
		}
		if !first {
			if c == '}' {
				break
			}
			if c != ',' {
				return malformed("want , or } in a batch item, got %q", c)
			}
			if c, err = p.next(); err != nil {
				return err
			}
		}
		if c != '"' {
			return malformed("want a member name, got %q", c)
		}
		_ = p.r.UnreadByte()
		kraw, err := p.value(256)
		if err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(kraw, &key); err != nil {
			return malformed("member name: %v", err)
		}
		if c, err = p.next(); err != nil {
			return err
		}
		if c != ':' {
			return malformed("want : after %q, got %q", key, c)
		}
		switch memberName(key) {
		case "result":
			// encoding/json keeps the last of repeated members; so does this.
			p.unkeep(&rep)
			haveRes = true
			rep, resultNo, err = p.result()
		case "error":
			var raw []byte
			if raw, err = p.value(maxSmallValue); err == nil {
				rpcErr = nil
				if err = json.Unmarshal(raw, &rpcErr); err != nil {
					err = malformed("error member: %v", err)
				}
			}
		case "id":
			var raw []byte
			if raw, err = p.value(64); err == nil {
				id, err = p.index(raw)
			}
		default:
			_, err = p.value(maxSmallValue)
		}
		if err != nil {
			return err
		}
	}
	if id < 0 {
		return malformed("batch item without an id")
	}
	if p.seen[id] {
		return malformed("duplicate id %d in batch reply", p.firstID+uint64(id))
	}
	p.seen[id] = true
	switch {
	case rpcErr != nil:
		p.unkeep(&rep)
		rep = HexReply{Err: sdk.DaemonError(rpcErr.Code, rpcErr.Message)}
	case !haveRes || resultNo: // encoding/json reads a missing result as null too
		rep = HexReply{Err: sdk.Errorf(sdk.KindInternal, "want a hex string, got null")}
	}
	p.out[id] = rep
	return nil
}

// memberName maps a member name to the reply member it sets. Like
// encoding/json, which decodes the other path, it matches names without
// regard to case ("ID" sets the id; "reſult" the result).
func memberName(key string) string {
	for _, m := range [...]string{"result", "error", "id"} {
		if strings.EqualFold(key, m) {
			return m
		}
	}
	return ""
}

// unkeep gives back the bytes of a result that an error member overrides.
func (p *hexBatchReader) unkeep(rep *HexReply) {
	p.kept -= int64(len(rep.Raw))
	rep.Raw = nil
}

// index maps a raw id to a request index.
func (p *hexBatchReader) index(raw []byte) (int, error) {
	id, err := strconv.ParseUint(string(raw), 10, 64)
	n := uint64(len(p.out))
	if err != nil || id < p.firstID || id-p.firstID >= n {
		return 0, malformed("unexpected id %s in batch reply", raw)
	}
	return int(id - p.firstID), nil
}

// result reads a result value: a hex string is decoded (or dropped over the
// limit), null is reported, anything else becomes a KindInternal error.
func (p *hexBatchReader) result() (HexReply, bool, error) {
	c, err := p.next()
	if err != nil {
		return HexReply{}, false, err
	}
	_ = p.r.UnreadByte()
	if c != '"' {
		raw, err := p.value(maxSmallValue)
		if err != nil {
			return HexReply{}, false, err
		}
		if string(raw) == "null" {
			return HexReply{}, true, nil
		}
		return HexReply{Err: sdk.Errorf(sdk.KindInternal, "want a hex string, got %.100s", raw)}, false, nil
	}
	_, _ = p.r.ReadByte() // the opening quote
	room := p.limit - p.kept
	always := p.kept == 0
	p.scratch = p.scratch[:0]
	var half byte // an odd hex digit left from the previous chunk
	odd := false
	dropped := false
	for {
		chunk, err := p.r.ReadSlice('"')
		end := err == nil
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return HexReply{}, false, malformed("reply ends inside a result")
			}
			return HexReply{}, false, err
		}
		if end {
			chunk = chunk[:len(chunk)-1]
		}
		if !dropped {
			if odd {
				var pair [2]byte
				pair[0] = half
				if len(chunk) == 0 {
					if end {
						return HexReply{}, false, malformed("odd length hex result")
					}
					continue
				}
				pair[1] = chunk[0]
				chunk = chunk[1:]
				var b [1]byte
				if _, err := hex.Decode(b[:], pair[:]); err != nil {
					return HexReply{}, false, malformed("bad hex in result: %v", err)
				}
				p.scratch = append(p.scratch, b[0])
				odd = false
			}
			if len(chunk)%2 == 1 {
				half, odd = chunk[len(chunk)-1], true
				chunk = chunk[:len(chunk)-1]
			}
			n := len(p.scratch)
			p.scratch = grow(p.scratch, len(chunk)/2)
			if _, err := hex.Decode(p.scratch[n:], chunk); err != nil {
				return HexReply{}, false, malformed("bad hex in result: %v", err)
			}
			if !always && int64(len(p.scratch)) > room {
				dropped = true
			}
			if len(p.scratch) > maxHexResult {
				return HexReply{}, false, malformed("a result larger than %d bytes (no block of a supported chain is)", maxHexResult)
			}
		} else if err := checkHexDigits(chunk); err != nil {
			return HexReply{}, false, err
		}
		if end {
			break
		}
	}
	if odd && !dropped {
		return HexReply{}, false, malformed("odd length hex result")
	}
	if dropped {
		return HexReply{Dropped: true}, false, nil
	}
	raw := make([]byte, len(p.scratch))
	copy(raw, p.scratch)
	p.kept += int64(len(raw))
	return HexReply{Raw: raw}, false, nil
}

// MaxHexResult bounds one decoded hex result, kept or not, so that a
// daemon (or something posing as one) cannot grow the plugin's memory
// without bound: eight times Bitcoin Cash's 32 MB block limit.
const MaxHexResult = 256 << 20

// maxHexResult is MaxHexResult (tests lower it).
var maxHexResult = MaxHexResult

// checkHexDigits rejects a dropped result's bytes that are not hex digits
// (a quote inside the string would otherwise go unnoticed).
func checkHexDigits(b []byte) error {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return malformed("bad hex in result: %q", c)
		}
	}
	return nil
}

// grow extends b by n bytes, reallocating at most by doubling.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), max(2*cap(b), len(b)+n, 4096))
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// next returns the next byte that is not JSON whitespace.
func (p *hexBatchReader) next() (byte, error) {
	for {
		c, err := p.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, nil
	}
}

// value reads one JSON value of at most max bytes and returns its text
// (whitespace inside it kept). The text is checked only for its
// structure; callers that need its content unmarshal it.
func (p *hexBatchReader) value(max int) ([]byte, error) {
	c, err := p.next()
	if err != nil {
		return nil, noEOF(err)
	}
	out := []byte{c}
	add := func(b byte) error {
		if len(out) >= max {
			return malformed("value longer than %d bytes", max)
		}
		out = append(out, b)
		return nil
	}
	depth := 0
	inStr, esc := false, false
	switch c {
	case '"':
		inStr = true
	case '{', '[':
		depth = 1
	default:
		// A number or a literal: read up to a delimiter.
		for {
			b, err := p.r.ReadByte()
			if err != nil {
				if err == io.EOF {
					return out, nil
				}
				return nil, err
			}
			switch b {
			case ',', '}', ']', ' ', '\t', '\r', '\n', ':':
				_ = p.r.UnreadByte()
				return out, nil
			}
			if err := add(b); err != nil {
				return nil, err
			}
		}
	}
	for inStr || depth > 0 {
		b, err := p.r.ReadByte()
		if err != nil {
			return nil, noEOF(err)
		}
		if err := add(b); err != nil {
			return nil, err
		}
		switch {
		case esc:
			esc = false
		case inStr && b == '\\':
			esc = true
		case inStr && b == '"':
			inStr = false
		case inStr:
		case b == '"':
			inStr = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
		}
	}
	return out, nil
}

// noEOF turns an end of input inside a value into a malformed reply.
func noEOF(err error) error {
	if err == io.EOF {
		return malformed("reply ends inside a value")
	}
	return err
}
