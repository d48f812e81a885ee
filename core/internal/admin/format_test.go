package admin

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
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
		if got := FormatDuration(time.Duration(tc.secs)*time.Second, tc.sep); got != tc.want {
			t.Errorf("FormatDuration(%ds, %q) = %q, want %q", tc.secs, tc.sep, got, tc.want)
		}
	}
}
