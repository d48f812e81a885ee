package admin

import (
	"fmt"
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
