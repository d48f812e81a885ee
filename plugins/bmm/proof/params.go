package proof

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/amber-electrum/amber/sdk"
)

// Params are the validated parameters of a bmm_merkle call.
type Params struct {
	TxHash sdk.Hash // internal byte order
	Sent   string   // tx_hash as the client sent it (for messages)
	Height int64
}

// ParseParams validates [tx_hash, height] as get_merkle does
// (docs/protocol.md, Parameters): tx_hash a 64-hex string, height a non-negative JSON
// integer or decimal string.
func ParseParams(params json.RawMessage) (Params, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil || len(args) != 2 {
		return Params{}, sdk.Errorf(sdk.KindInvalidArgument, "bmm_merkle takes 2 parameters: tx_hash, height")
	}
	var p Params
	s, ok := jsonString(args[0])
	if !ok || len(s) != 64 {
		return p, badValue(args[0], "should be a transaction hash")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return p, badValue(args[0], "should be a transaction hash")
	}
	for i := range p.TxHash {
		p.TxHash[i] = b[31-i]
	}
	p.Sent = s
	text := string(bytes.TrimSpace(args[1]))
	if s, ok := jsonString(args[1]); ok {
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return p, badValue(args[1], "should be a non-negative integer")
	}
	p.Height = n
	return p, nil
}

// badValue is the upstream message "<value> <what>", the value printed as
// Python's str() would (strings bare, null/true/false as None/True/False).
func badValue(raw json.RawMessage, what string) error {
	return sdk.Errorf(sdk.KindInvalidArgument, "%s %s", pyStr(raw), what)
}

// jsonString decodes raw if it is a JSON string (not null).
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '"' || json.Unmarshal(t, &s) != nil {
		return "", false
	}
	return s, true
}

func pyStr(raw json.RawMessage) string {
	if s, ok := jsonString(raw); ok {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	switch t := buf.String(); t {
	case "null":
		return "None"
	case "true":
		return "True"
	case "false":
		return "False"
	default:
		return t
	}
}

// thousands formats n like Python's f"{n:,d}", as get_merkle's message does.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && c != '-' && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
