// Package pyfmt formats numbers the way ElectrumX's Python code does, so
// that texts clients and operators already know (error messages, admin
// tables) come out byte for byte the same.
package pyfmt

import (
	"strconv"
	"strings"
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
