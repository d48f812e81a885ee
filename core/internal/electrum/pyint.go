package electrum

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"unicode"
)

// Python int() as ElectrumX's parameter checks apply it (session.py
// non_negative_integer): JSON integers exactly, floats truncated toward
// zero, booleans as 0 and 1, strings as int(str) reads them (surrounding
// whitespace, an optional sign, decimal digits with single underscores
// between them). Everything else (null, lists, objects) is a TypeError.

// pyIntResult is the outcome of int(value).
type pyIntResult int

const (
	pyIntOK       pyIntResult = iota
	pyIntBad                  // ValueError or TypeError: the value is refused
	pyIntOverflow             // OverflowError (int(inf)): upstream lets it escape
)

// pyInt converts a raw JSON value as int() would.
func pyInt(raw json.RawMessage) (*big.Int, pyIntResult) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil, pyIntBad
	}
	switch c := t[0]; {
	case c == 't' && string(t) == "true":
		return big.NewInt(1), pyIntOK
	case c == 'f' && string(t) == "false":
		return big.NewInt(0), pyIntOK
	case c == '"':
		var s string
		if json.Unmarshal(t, &s) != nil {
			return nil, pyIntBad
		}
		n, ok := pyIntString(s)
		if !ok {
			return nil, pyIntBad
		}
		return n, pyIntOK
	case c == '-' || c >= '0' && c <= '9':
		if !bytes.ContainsAny(t, ".eE") {
			n, ok := new(big.Int).SetString(string(t), 10)
			if !ok {
				return nil, pyIntBad
			}
			return n, pyIntOK
		}
		f, _, err := big.ParseFloat(string(t), 10, 64, big.ToZero)
		if err != nil {
			return nil, pyIntBad
		}
		// Python's json reads an out-of-range float as inf.
		if f64, _ := f.Float64(); math.IsInf(f64, 0) {
			return nil, pyIntOverflow
		}
		n, _ := f.Int(nil)
		return n, pyIntOK
	}
	return nil, pyIntBad
}

// pyIntString is int(s) for a str.
func pyIntString(s string) (*big.Int, bool) {
	s = strings.TrimFunc(s, pySpace)
	digits := s
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	if digits == "" {
		return nil, false
	}
	prevDigit := false
	for i := 0; i < len(digits); i++ {
		switch c := digits[i]; {
		case c >= '0' && c <= '9':
			prevDigit = true
		case c == '_' && prevDigit && i+1 < len(digits):
			prevDigit = false
		default:
			return nil, false
		}
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, "_", ""), 10)
	return n, ok
}

// pySpace is str.strip()'s whitespace: Unicode White_Space plus the
// ASCII separators 0x1c-0x1f.
func pySpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// pyTruthy is Python truthiness of a JSON value.
func pyTruthy(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	switch string(t) {
	case "", "null", "false", `""`, "[]", "{}":
		return false
	}
	if t[0] == '-' || t[0] >= '0' && t[0] <= '9' {
		f, _, err := big.ParseFloat(string(t), 10, 64, big.ToZero)
		return err != nil || f.Sign() != 0
	}
	if t[0] == '[' || t[0] == '{' {
		var v any
		if json.Unmarshal(t, &v) == nil {
			switch x := v.(type) {
			case []any:
				return len(x) > 0
			case map[string]any:
				return len(x) > 0
			}
		}
	}
	return true
}
