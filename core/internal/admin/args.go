package admin

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// stringList decodes a JSON array of strings.
func stringList(raw json.RawMessage) ([]string, bool) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, false
	}
	out := make([]string, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it, &out[i]); err != nil || !bytes.HasPrefix(bytes.TrimSpace(it), []byte(`"`)) {
			return nil, false
		}
	}
	return out, true
}

// nonNegative decodes an integer >= 0 given as a JSON number or a decimal
// string (Python's int()); otherwise it is the BAD_REQUEST
// "<value> should be a non-negative integer".
func nonNegative(raw json.RawMessage) (int, error) {
	v := bytes.TrimSpace(raw)
	text := string(v)
	var s string
	if json.Unmarshal(v, &s) == nil {
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		// JSON numbers such as 3.0 are whole too.
		f, ferr := strconv.ParseFloat(text, 64)
		if ferr != nil || f != math.Trunc(f) || s != "" || math.Abs(f) > 1<<53 {
			return 0, badRequest("%s should be a non-negative integer", display(raw))
		}
		n = int64(f)
	}
	if n < 0 || n > math.MaxInt32 {
		return 0, badRequest("%s should be a non-negative integer", display(raw))
	}
	return int(n), nil
}

// display renders a raw JSON argument for an error message: strings
// without quotes, null as None, anything else as sent.
func display(raw json.RawMessage) string {
	v := bytes.TrimSpace(raw)
	var s string
	switch {
	case len(v) == 0 || string(v) == "null":
		return "None"
	case json.Unmarshal(v, &s) == nil:
		return s
	}
	return string(v)
}

// optString decodes an optional string argument; absent or null is "".
func optString(raw json.RawMessage) (string, bool) {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || string(v) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}
