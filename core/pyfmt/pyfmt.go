// Package pyfmt formats values the way ElectrumX's Python code does, so
// that the texts clients and operators already know (error messages such as
// "<value> should be a non-negative integer", admin tables) come out byte
// for byte the same — in the core and in plugins that validate parameters
// like the core. Numbers get Python's thousands separators, durations
// ElectrumX's formatted_time, and JSON values Python's str() and repr().
package pyfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Thousands formats n with comma thousands separators, like Python's
// f"{n:,d}".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Duration renders whole seconds as ElectrumX's util.formatted_time
// (docs/protocol.md, Admin RPC): days if non-zero, then two-digit hours and minutes
// once a larger unit was emitted or the value is non-zero, and seconds only
// if fewer than three parts were emitted; parts joined by sep (" " for
// getinfo's uptime, "" for the sessions table).
func Duration(d time.Duration, sep string) string {
	t := int64(d / time.Second)
	var parts []string
	for _, u := range []struct {
		n   int64
		fmt string
	}{{86400, "%dd"}, {3600, "%02dh"}, {60, "%02dm"}} {
		v := t / u.n
		t -= v * u.n
		if v != 0 || len(parts) > 0 {
			parts = append(parts, fmt.Sprintf(u.fmt, v))
		}
	}
	if len(parts) < 3 {
		parts = append(parts, fmt.Sprintf("%02ds", t))
	}
	return strings.Join(parts, sep)
}

// Str formats a raw JSON parameter the way Python's str() prints the
// decoded value, which is what upstream error messages embed
// (f'{value} should be a non-negative integer').
func Str(raw json.RawMessage) string {
	if raw == nil {
		return "None"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return Repr(v)
}

// Repr formats a decoded JSON value like Python's repr().
func Repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case json.Number:
		return x.String()
	case string:
		return Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = Quote(k) + ": " + Repr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// Quote is Python's repr() of a str: single quotes unless the text has a
// single quote and no double quote.
func Quote(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + strconv.FormatInt(int64(r)+0x100, 16)[1:])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
