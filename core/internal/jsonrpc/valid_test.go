package jsonrpc

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestValidateMatchesEncodingJSON: validate accepts exactly what
// json.Valid accepts, on the edges of the grammar.
func TestValidateMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		``, ` `, `1`, `-`, `-0`, `01`, `1.`, `1.5e`, `1e+5`, `1E-05`, `-01`, `.5`, `0.5`,
		`"`, `"a`, `"\u12"`, `"\u12g4"`, `"\u1234"`, `"\x"`, "\"\t\"", "\"\x7f\"", `"\/"`,
		`tru`, `true`, `truex`, `nul`, `null `, ` false`, `[`, `]`, `[]`, `[,]`, `[1,]`, `[1 2]`,
		`{}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{1:2}`, `{"a":1}`, `[}`, `{]`,
		`[{"a":[1,{"b":null}]},"x"]`, `{"a":1}x`, `{"a":1} {}`, "\n[1]\r\n", "[\"\xff\"]", "\xff",
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
		strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
		strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
	}
	for _, c := range cases {
		got, _ := validate([]byte(c), nil)
		if want := json.Valid([]byte(c)); got != want {
			t.Errorf("validate(%.40q) = %v, json.Valid %v", c, got, want)
		}
	}
}

// TestValidateSpans: for an array, validate finds each element exactly,
// nested containers and whitespace included.
func TestValidateSpans(t *testing.T) {
	in := ` [ 1 , {"a":[2,3]} ,"x]",[],[[]] , null ] `
	var sp []int
	ok, _ := validate([]byte(in), &sp)
	if !ok {
		t.Fatal("not valid")
	}
	var got []string
	for k := 0; k+1 < len(sp); k += 2 {
		got = append(got, in[sp[k]:sp[k+1]])
	}
	want := []string{`1`, `{"a":[2,3]}`, `"x]"`, `[]`, `[[]]`, `null`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("elements %q, want %q", got, want)
	}
	sp = sp[:0]
	if validate([]byte(`{"a":[1,2]}`), &sp); len(sp) != 0 {
		t.Errorf("an object gave spans %v", sp)
	}
}

// FuzzValidate: validate agrees with json.Valid on every input; a valid
// text without a high byte in a string is valid UTF-8; an array's spans
// are exactly its elements as forEachElement finds them.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{benchReq, `[1,"a",{"b":[]}]`, `{"a":"\u00e9"}`, "\"\xc3\xa9\"", `[1e5,-0.5]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sp []int
		ok, high := validate(data, &sp)
		if want := json.Valid(data); ok != want {
			t.Fatalf("validate = %v, json.Valid = %v", ok, want)
		}
		if !ok {
			return
		}
		if !high && !utf8.Valid(data) {
			t.Fatal("invalid UTF-8 without a high byte in a string")
		}
		msg := trimWS(data)
		if msg[0] != '[' {
			if len(sp) != 0 {
				t.Fatalf("spans %v for a non-array", sp)
			}
			return
		}
		var want []string
		forEachElement(msg, func(elem []byte) { want = append(want, string(elem)) })
		if len(sp) != 2*len(want) {
			t.Fatalf("%d spans for %d elements", len(sp), len(want))
		}
		for k, w := range want {
			if g := string(data[sp[2*k]:sp[2*k+1]]); g != w {
				t.Fatalf("element %d: %q, want %q", k, g, w)
			}
		}
	})
}
