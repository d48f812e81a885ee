package electrum

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/pyfmt"
)

func TestNonNegInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`0`, 0, true}, {`5`, 5, true}, {`"5"`, 5, true}, {`" 7 "`, 7, true}, {`"+3"`, 3, true}, {`-0`, 0, true},
		// Python int(): floats truncate, booleans are 0/1, strings take
		// whitespace, a sign and underscores between digits.
		{`1.5`, 1, true}, {`1.0`, 1, true}, {`1e3`, 1000, true}, {`-0.5`, 0, true}, {`true`, 1, true}, {`false`, 0, true},
		{`"1_000"`, 1000, true}, {`"\t5\n"`, 5, true}, {`"007"`, 7, true}, {`99999999999999999999`, 1<<63 - 1, true},
		{`-1`, 0, false}, {`"-1"`, 0, false}, {`-1.5`, 0, false}, {`"1.0"`, 0, false}, {`"1__0"`, 0, false}, {`"_1"`, 0, false},
		{`"1_"`, 0, false}, {`"0x10"`, 0, false}, {`null`, 0, false}, {`"x"`, 0, false}, {`""`, 0, false}, {`[1]`, 0, false}, {`{}`, 0, false},
	}
	for _, tc := range tests {
		got, err := nonNegInt(json.RawMessage(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("nonNegInt(%s) = %d, %v", tc.in, got, err)
		}
		if err != nil && !strings.HasSuffix(err.Message, " should be a non-negative integer") {
			t.Errorf("message %q", err.Message)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `false`: false, `1`: true, `0`: false, `1.0`: true, `0.0`: false} {
		if got, err := parseBool(json.RawMessage(in), "verbose"); err != nil || got != want {
			t.Errorf("parseBool(%s) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{`2`, `"true"`, `null`, `[]`, `-1`} {
		if _, err := parseBool(json.RawMessage(in), "merkle"); err == nil || err.Message != `"merkle" must be a boolean` {
			t.Errorf("parseBool(%s) accepted or wrong message: %v", in, err)
		}
	}
	if got, err := parseBool(nil, "verbose"); err != nil || got {
		t.Error("absent flag must be false")
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		`"abc"`: `abc`, `null`: `None`, `true`: `True`, `[1,"a",null,false]`: `[1, 'a', None, False]`,
		`{"b":1,"a":"x"}`: `{'a': 'x', 'b': 1}`, `["it's"]`: `["it's"]`, `1.50`: `1.50`,
	} {
		if got := pyfmt.Str(json.RawMessage(in)); got != want {
			t.Errorf("pyfmt.Str(%s) = %s, want %s", in, got, want)
		}
	}
	if got := pyfmt.Thousands(1234567); got != "1,234,567" {
		t.Error(got)
	}
	if got := pyfmt.Thousands(-1000); got != "-1,000" {
		t.Error(got)
	}
}

func FuzzScripthash(f *testing.F) {
	f.Add(`"5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282"`)
	f.Add(`"zz"`)
	f.Add(`5`)
	f.Fuzz(func(t *testing.T, in string) {
		hx, sent, err := parseScripthash(json.RawMessage(in))
		if err != nil {
			if !strings.HasSuffix(err.Message, " is not a valid script hash") {
				t.Fatalf("message %q", err.Message)
			}
			return
		}
		if len(sent) != 64 || !strings.EqualFold(sent[42:], reverseHex(hx[:])) {
			t.Fatalf("hashX %x does not match the last 22 hex characters of %s", hx, sent)
		}
	})
}

func reverseHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for i := len(b) - 1; i >= 0; i-- {
		out = append(out, digits[b[i]>>4], digits[b[i]&15])
	}
	return string(out)
}

func FuzzTxHash(f *testing.F) {
	f.Add(`"` + strings.Repeat("ab", 32) + `"`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, in string) {
		h, err := parseTxHash(json.RawMessage(in))
		if err != nil {
			if !strings.HasSuffix(err.Message, " should be a transaction hash") {
				t.Fatalf("message %q", err.Message)
			}
			return
		}
		var s string
		if json.Unmarshal([]byte(in), &s) != nil || !strings.EqualFold(h.String(), s) {
			t.Fatalf("round trip %s -> %s", in, h)
		}
	})
}

func FuzzNonNegInt(f *testing.F) {
	for _, s := range []string{`0`, `"12"`, `-1`, `1.5`, `true`, `"  9 "`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := nonNegInt(json.RawMessage(in))
		if err == nil && n < 0 {
			t.Fatalf("accepted negative %d", n)
		}
		if err != nil && !strings.HasSuffix(err.Message, " should be a non-negative integer") && err != errOverflow {
			t.Fatalf("message %q", err.Message)
		}
	})
}

// FuzzPyIntString: pyIntString accepts exactly what a strict re-statement
// of Python's int(str) grammar accepts, and agrees on the value.
func FuzzPyIntString(f *testing.F) {
	for _, s := range []string{"12", " -3 ", "1_0", "_1", "1__0", "+", "0x1", "\u00a05"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[+-]?[0-9](_?[0-9])*$`)
	f.Fuzz(func(t *testing.T, in string) {
		n, ok := pyIntString(in)
		trimmed := strings.TrimFunc(in, pySpace)
		if want := re.MatchString(trimmed); ok != want {
			t.Fatalf("pyIntString(%q) ok=%v, want %v", in, ok, want)
		}
		if ok && n.String() != new(big.Int).Set(mustBig(t, strings.ReplaceAll(trimmed, "_", ""))).String() {
			t.Fatalf("pyIntString(%q) = %s", in, n)
		}
	})
}

func mustBig(t *testing.T, s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("big %q", s)
	}
	return n
}

func FuzzBool(f *testing.F) {
	for _, s := range []string{`true`, `0`, `1.0`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return // BindParams only hands over valid JSON values
		}
		v, err := parseBool(json.RawMessage(in), "verbose")
		if err != nil {
			if err.Message != `"verbose" must be a boolean` {
				t.Fatalf("message %q", err.Message)
			}
			return
		}
		var d any
		_ = json.Unmarshal([]byte(in), &d)
		if want := d == true || d == 1.0; v != want {
			t.Fatalf("%q read as %v", in, v)
		}
	})
}

func FuzzVersion(f *testing.F) {
	for _, s := range []string{`"1.4"`, `["1.4","1.4.2"]`, `null`, `1.4`, `["1.3"]`, `"1..4"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		v, _ := Negotiate(json.RawMessage(in), ProtocolMin, ProtocolMax)
		if v == nil {
			return
		}
		if v.Compare(ProtocolMin) < 0 || v.Compare(ProtocolMax) > 0 {
			t.Fatalf("negotiated %s outside the server range", v)
		}
		if ParseVersion(v.String()).Compare(v) != 0 && len(v) != 1 {
			t.Fatalf("String does not round-trip: %v -> %s", v, v.String())
		}
	})
}

// FuzzJSONString: the fast path of jsonString and hex32 agrees with
// encoding/json on every valid JSON value.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\u00e9"`, `"é"`, `5`, `"` + strings.Repeat("aB", 32) + `"`, `"\u0041` + strings.Repeat("a", 63) + `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		var want string
		werr := json.Unmarshal(raw, &want)
		got, ok := jsonString(raw)
		if ok != (werr == nil) || got != want {
			t.Fatalf("jsonString(%q) = %q %v, want %q %v", raw, got, ok, want, werr)
		}
		b, ok := hex32(raw)
		wb, herr := hex.DecodeString(want)
		wantOK := werr == nil && len(want) == 64 && herr == nil
		if ok != wantOK || (ok && !bytes.Equal(b[:], wb)) {
			t.Fatalf("hex32(%q) = %x %v, want %v", raw, b, ok, wantOK)
		}
	})
}
