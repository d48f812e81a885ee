package jsonrpc

import (
	"bytes"
	"encoding/json"

	"github.com/amber-electrum/amber/core/pyfmt"
)

// The scanner below walks JSON text that validate has already accepted, so
// it only needs to find value boundaries; it never reports syntax errors.

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// trimWS returns b without leading and trailing JSON whitespace.
func trimWS(b []byte) []byte {
	i, j := skipWS(b, 0), len(b)
	for j > i && isWS(b[j-1]) {
		j--
	}
	return b[i:j]
}

// skipString returns the index just after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just after the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return len(b)
	}
}

// forEachElement calls fn with each element of the valid JSON array arr
// (trimmed, starting with '[').
func forEachElement(arr []byte, fn func(elem []byte)) {
	i := skipWS(arr, 1)
	for i < len(arr) && arr[i] != ']' {
		end := skipValue(arr, i)
		fn(arr[i:end])
		i = skipWS(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = skipWS(arr, i+1)
		}
	}
}

// forEachMember calls fn with each raw key (quotes included) and value of
// the valid JSON object obj (trimmed, starting with '{').
func forEachMember(obj []byte, fn func(key, val []byte)) {
	i := skipWS(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		kend := skipString(obj, i)
		key := obj[i:kend]
		i = skipWS(obj, kend)
		i = skipWS(obj, i+1) // ':'
		vend := skipValue(obj, i)
		fn(key, obj[i:vend])
		i = skipWS(obj, vend)
		if i < len(obj) && obj[i] == ',' {
			i = skipWS(obj, i+1)
		}
	}
}

// rawString returns the Go string of a raw JSON string value.
func rawString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// rawStringIs reports whether the raw JSON value is the string want,
// without allocating when it holds no escape.
func rawStringIs(raw []byte, want string) bool {
	if len(raw) < 2 || raw[0] != '"' {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1:len(raw)-1]) == want
	}
	s, ok := rawString(raw)
	return ok && s == want
}

// keyIs reports whether the raw key (with quotes) equals name exactly
// (case-sensitive, like a Python dict; escapes are honoured).
func keyIs(key []byte, name string) bool {
	if len(key) == len(name)+2 && string(key[1:len(key)-1]) == name {
		return true
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	s, ok := rawString(key)
	return ok && s == name
}

// envelope holds the members of one JSON-RPC message object that the codec
// looks at. A nil slice means the member is absent; a duplicated member keeps
// its last value (Python dict semantics).
type envelope struct {
	jsonrpc, id, method, params []byte
	hasResult, hasError         bool
}

func parseEnvelope(obj []byte) envelope {
	var e envelope
	forEachMember(obj, func(key, val []byte) {
		switch {
		case keyIs(key, "id"):
			e.id = val
		case keyIs(key, "method"):
			e.method = val
		case keyIs(key, "params"):
			e.params = val
		case keyIs(key, "jsonrpc"):
			e.jsonrpc = val
		case keyIs(key, "result"):
			e.hasResult = true
		case keyIs(key, "error"):
			e.hasError = true
		}
	})
	return e
}

// pyStr renders a raw JSON value roughly the way Python's str() renders the
// decoded value (core/pyfmt.Str), for error messages copied from aiorpcX
// ("invalid request arguments: None").
func pyStr(raw []byte) string {
	if raw == nil {
		return "None"
	}
	return pyfmt.Str(json.RawMessage(raw))
}
