package jsonrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// appendValue appends the compact JSON encoding of v (HTML characters are
// not escaped). A json.RawMessage is appended as is after a validity check,
// an Encoded without one.
func appendValue(buf *bytes.Buffer, v any) error {
	if enc, ok := v.(Encoded); ok {
		if enc == nil {
			buf.WriteString("null")
		} else {
			buf.Write(enc)
		}
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if raw == nil {
			buf.WriteString("null")
			return nil
		}
		if !json.Valid(raw) {
			return fmt.Errorf("jsonrpc: invalid raw JSON value")
		}
		buf.Write(raw)
		return nil
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("jsonrpc: encode: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode's trailing newline
	return nil
}

func appendID(buf *bytes.Buffer, id json.RawMessage) {
	if len(id) == 0 {
		buf.WriteString("null")
		return
	}
	buf.Write(id)
}

// appendString appends s as a JSON string literal; invalid UTF-8 becomes
// U+FFFD.
func appendString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf.WriteString(`\ufffd`)
			} else {
				buf.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case c == '\n':
			buf.WriteString(`\n`)
		case c == '\r':
			buf.WriteString(`\r`)
		case c == '\t':
			buf.WriteString(`\t`)
		case c < 0x20:
			buf.WriteString(`\u00`)
			buf.WriteByte(hex[c>>4])
			buf.WriteByte(hex[c&0xf])
		default:
			buf.WriteByte(c)
		}
		i++
	}
	buf.WriteByte('"')
}

// finish copies the pooled buffer out and returns it to the pool.
func finish(buf *bytes.Buffer) []byte {
	out := bytes.Clone(buf.Bytes())
	if buf.Cap() <= 64<<10 {
		buf.Reset()
		bufPool.Put(buf)
	}
	return out
}

func getBuf() *bytes.Buffer {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

// EncodeResult encodes a successful response, compactly:
// {"jsonrpc":"2.0","result":…,"id":…} (2.0, loose, unknown) or
// {"result":…,"error":null,"id":…} (1.0). A nil id is written as null. A
// json.RawMessage result is inserted verbatim (it must be valid JSON).
func EncodeResult(d Dialect, id json.RawMessage, result any) ([]byte, error) {
	buf := getBuf()
	if d == Dialect1 {
		buf.WriteString(`{"result":`)
	} else {
		buf.WriteString(`{"jsonrpc":"2.0","result":`)
	}
	if err := appendValue(buf, result); err != nil {
		bufPool.Put(buf)
		return nil, err
	}
	if d == Dialect1 {
		buf.WriteString(`,"error":null`)
	}
	buf.WriteString(`,"id":`)
	appendID(buf, id)
	buf.WriteByte('}')
	return finish(buf), nil
}

// EncodeError encodes an error response:
// {"jsonrpc":"2.0","error":{"code":…,"message":…},"id":…} or, in 1.0,
// {"result":null,"error":{…},"id":…}. A nil id is written as null. Cost is
// not part of the wire format.
func EncodeError(d Dialect, id json.RawMessage, e *Error) []byte {
	buf := getBuf()
	if d == Dialect1 {
		buf.WriteString(`{"result":null,"error":{"code":`)
	} else {
		buf.WriteString(`{"jsonrpc":"2.0","error":{"code":`)
	}
	var num [20]byte
	buf.Write(strconv.AppendInt(num[:0], int64(e.Code), 10))
	buf.WriteString(`,"message":`)
	appendString(buf, e.Message)
	buf.WriteString(`},"id":`)
	appendID(buf, id)
	buf.WriteByte('}')
	return finish(buf)
}

// EncodeBatch joins encoded responses into one batch reply "[a,b,…]".
func EncodeBatch(items [][]byte) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	return append(out, ']')
}

// EncodeNotification encodes a server notification:
// {"jsonrpc":"2.0","method":…,"params":…} (params nil is written as []).
// In the 1.0 dialect it is {"method":…,"params":…,"id":null}, as aiorpcX's
// JSONRPCv1 writes notifications.
func EncodeNotification(d Dialect, method string, params any) ([]byte, error) {
	buf := getBuf()
	if d == Dialect1 {
		buf.WriteString(`{"method":`)
	} else {
		buf.WriteString(`{"jsonrpc":"2.0","method":`)
	}
	appendString(buf, method)
	switch {
	case params == nil && d != Dialect1:
		// No arguments: aiorpcX's 2.0 payload leaves "params" out.
	case params == nil:
		buf.WriteString(`,"params":[]`)
	default:
		buf.WriteString(`,"params":`)
		if err := appendValue(buf, params); err != nil {
			bufPool.Put(buf)
			return nil, err
		}
	}
	if d == Dialect1 {
		buf.WriteString(`,"id":null`)
	}
	buf.WriteByte('}')
	return finish(buf), nil
}

// Encoded is a result the caller guarantees to be valid JSON (the core's
// hand-written encoders of hot results, or cached plugin answers checked
// with json.Valid when they arrived): it is written as is, without the
// validity check a json.RawMessage gets on every reply.
type Encoded []byte

// MarshalJSON returns e itself ("null" when nil).
func (e Encoded) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	return e, nil
}
