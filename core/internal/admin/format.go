package admin

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FormatDuration renders whole seconds as admin-rpc.md §3.3 describes:
// days if non-zero, then two-digit hours and minutes once a larger unit was
// emitted or the value is non-zero, and seconds only if fewer than three
// parts were emitted; parts joined by sep (" " for getinfo, "" for tables).
func FormatDuration(d time.Duration, sep string) string {
	t := int64(d / time.Second)
	var parts []string
	days, t := t/86400, t%86400
	hours, t := t/3600, t%3600
	mins, secs := t/60, t%60
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if len(parts) > 0 || hours > 0 {
		parts = append(parts, fmt.Sprintf("%02dh", hours))
	}
	if len(parts) > 0 || mins > 0 {
		parts = append(parts, fmt.Sprintf("%02dm", mins))
	}
	if len(parts) < 3 {
		parts = append(parts, fmt.Sprintf("%02ds", secs))
	}
	return strings.Join(parts, sep)
}

// Thousands formats n with comma thousands separators, like Python's {:,d}.
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
