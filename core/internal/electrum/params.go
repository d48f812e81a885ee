package electrum

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

func badRequest(format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.BadRequest, format, args...)
}

// jsonString decodes raw as a JSON string. A string of printable ASCII
// without escapes (every hash parameter) is sliced out; others go through
// encoding/json.
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.Trim(raw, " \t\r\n") // JSON's whitespace, which a value may carry
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if inner, ok := plainString(raw); ok {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// plainString returns the contents of the JSON string raw when it is
// printable ASCII without escapes.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return nil, false
		}
	}
	return inner, true
}

// hex32 decodes a 64-character hex string (any case) into its 32 bytes in
// string order.
func hex32(raw json.RawMessage) ([32]byte, bool) {
	var b [32]byte
	inner, ok := plainString(raw)
	if !ok {
		// Escaped or non-ASCII: only the general decoder can tell.
		s, ok := jsonString(raw)
		if !ok {
			return b, false
		}
		inner = []byte(s)
	}
	if len(inner) != 64 {
		return b, false
	}
	_, err := hex.Decode(b[:], inner)
	return b, err == nil
}

// parseScripthash validates a scripthash parameter (docs/protocol.md, Script hashes) and
// returns its hashX (the first 11 bytes of the un-reversed digest) and the
// string as sent.
func parseScripthash(raw json.RawMessage) (index.HashX, string, *jsonrpc.Error) {
	var hx index.HashX
	b, ok := hex32(raw)
	if !ok {
		return hx, "", badRequest("%s is not a valid script hash", pyfmt.Str(raw))
	}
	for i := range hx {
		hx[i] = b[31-i]
	}
	s, _ := jsonString(raw)
	return hx, s, nil
}

// ScripthashOf returns the client-side scripthash of a scriptPubKey
// (sha256, byte-reversed, hex).
func ScripthashOf(script []byte) string {
	d := sha256.Sum256(script)
	for i, j := 0, len(d)-1; i < j; i, j = i+1, j-1 {
		d[i], d[j] = d[j], d[i]
	}
	return hex.EncodeToString(d[:])
}

// parseTxHash validates a tx hash parameter (display-order hex).
func parseTxHash(raw json.RawMessage) (sdk.Hash, *jsonrpc.Error) {
	var h sdk.Hash
	b, ok := hex32(raw)
	if !ok {
		return h, badRequest("%s should be a transaction hash", pyfmt.Str(raw))
	}
	for i := range h {
		h[i] = b[31-i]
	}
	return h, nil
}

// nonNegInt validates a non-negative integer as upstream
// non_negative_integer does (session.py): int(value) as Python reads it
// (see pyInt), then >= 0. The message shows the converted value when the
// conversion worked (so -1.5 reads "-1"), else the value as Python's str().
// Values beyond int64 are clamped (they are out of every range anyway);
// a float too large for a double is an internal error, as upstream's
// uncaught OverflowError.
func nonNegInt(raw json.RawMessage) (int64, *jsonrpc.Error) {
	n, res := pyInt(raw)
	switch res {
	case pyIntOverflow:
		return 0, errOverflow
	case pyIntBad:
		return 0, badRequest("%s should be a non-negative integer", pyfmt.Str(raw))
	}
	if n.Sign() < 0 {
		return 0, badRequest("%s should be a non-negative integer", n.String())
	}
	if !n.IsInt64() {
		return math.MaxInt64, nil
	}
	return n.Int64(), nil
}

// errOverflow is int(float('inf')): not an RPCError upstream, so aiorpcX
// answers "internal server error" (session.py _throttled_request).
var errOverflow = &jsonrpc.Error{Code: jsonrpc.InternalError, Message: "internal server error"}

// optNonNegInt is nonNegInt with a default for an absent parameter.
func optNonNegInt(raw json.RawMessage, def int64) (int64, *jsonrpc.Error) {
	if raw == nil {
		return def, nil
	}
	return nonNegInt(raw)
}

// parseBool validates a boolean flag named name (docs/protocol.md, Parameters): true,
// false, and (Python equality) the numbers 0 and 1. Absent means false.
func parseBool(raw json.RawMessage, name string) (bool, *jsonrpc.Error) {
	if raw == nil {
		return false, nil
	}
	switch t := string(bytes.TrimSpace(raw)); t {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		if f, err := strconv.ParseFloat(t, 64); err == nil && (f == 0 || f == 1) && t[0] != '"' {
			return f == 1, nil
		}
	}
	return false, badRequest("%q must be a boolean", name)
}

// dropExtra removes the arguments a method does not take (protocol 1.6:
// servers ignore them): positional arguments beyond names and named ones
// not in names. params that do not parse are returned unchanged for
// BindParams to refuse.
func dropExtra(params json.RawMessage, names []string) json.RawMessage {
	p := bytes.TrimSpace(params)
	if len(p) == 0 {
		return params
	}
	switch p[0] {
	case '[':
		var args []json.RawMessage
		if json.Unmarshal(p, &args) != nil || len(args) <= len(names) {
			return params
		}
		out, err := json.Marshal(args[:len(names)])
		if err != nil {
			return params
		}
		return out
	case '{':
		var args map[string]json.RawMessage
		if json.Unmarshal(p, &args) != nil {
			return params
		}
		n := len(args)
		for k := range args {
			if !slices.Contains(names, k) {
				delete(args, k)
			}
		}
		if len(args) == n {
			return params
		}
		out, err := json.Marshal(args)
		if err != nil {
			return params
		}
		return out
	}
	return params
}
