package pyfmt

import (
	"testing"
	"time"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 350000: "350,000",
		1234567: "1,234,567", -1234: "-1,234", -999: "-999",
	} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		sep  string
		want string
	}{
		{0, " ", "00s"},
		{42, " ", "42s"},
		{5*60 + 42, "", "05m42s"},
		{3600 + 39*60 + 4, " ", "01h 39m 04s"},
		{2*86400 + 3*3600 + 17*60 + 9, " ", "2d 03h 17m"},
		{86400, " ", "1d 00h 00m"},
		{3600, "", "01h00m00s"},
	} {
		if got := Duration(time.Duration(tc.secs)*time.Second, tc.sep); got != tc.want {
			t.Errorf("Duration(%ds, %q) = %q, want %q", tc.secs, tc.sep, got, tc.want)
		}
	}
}

func TestStrAndRepr(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`"abc"`, "abc"},
		{`5`, "5"},
		{`-1.5`, "-1.5"},
		{`null`, "None"},
		{`true`, "True"},
		{`[1,"a",null]`, "[1, 'a', None]"},
		{`{"b":false,"a":"x'y"}`, `{'a': "x'y", 'b': False}`},
		{`"it's"`, "it's"},
		{`["tab\there"]`, `['tab\there']`},
	} {
		if got := Str([]byte(tc.raw)); got != tc.want {
			t.Errorf("Str(%s) = %q, want %q", tc.raw, got, tc.want)
		}
	}
	if got := Str(nil); got != "None" {
		t.Errorf("Str(nil) = %q", got)
	}
	if got := Quote(`a'b"c`); got != `'a\'b"c'` {
		t.Errorf("Quote = %q", got)
	}
}
