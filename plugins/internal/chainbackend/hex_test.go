package chainbackend

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
)

func TestDecodeHexJSON(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		bad  bool
	}{
		{in: `"00ff10"`, want: []byte{0, 0xff, 0x10}},
		{in: `""`, want: []byte{}},
		{in: `"0"`, bad: true},
		{in: `"zz"`, bad: true},
		{in: `null`, bad: true},
		{in: `"`, bad: true},
		{in: `12`, bad: true},
	}
	for _, tc := range tests {
		got, err := decodeHexJSON(json.RawMessage(tc.in))
		if tc.bad != (err != nil) || (!tc.bad && !bytes.Equal(got, tc.want)) {
			t.Errorf("%s: got %x, %v", tc.in, got, err)
		}
	}
}

func FuzzDecodeHexJSON(f *testing.F) {
	f.Add([]byte(`"00ff"`))
	f.Add([]byte(`"\u0030"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeHexJSON(b)
		if err != nil {
			return
		}
		// Whatever it accepts is a JSON string of hex digits with that value.
		var s string
		if json.Unmarshal(b, &s) != nil {
			t.Fatalf("accepted non-JSON %q", b)
		}
		want, err := hex.DecodeString(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: got %x want %x (%v)", b, got, want, err)
		}
	})
}
