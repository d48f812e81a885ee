// Package pyfmt formats numbers and durations the way ElectrumX's Python
// code does, so that texts clients and operators already know (error
// messages, admin output) come out byte for byte the same. It lives outside
// core/internal because cmd/amberctl renders the same formats.
package pyfmt

import (
	"fmt"
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
// (admin-rpc.md §3.3): days if non-zero, then two-digit hours and minutes
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
