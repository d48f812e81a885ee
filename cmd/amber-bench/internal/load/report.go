package load

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Ms formats a duration in milliseconds with three decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// WriteTable prints r as a Markdown table: one row per method, then all.
func WriteTable(w io.Writer, r *Result) {
	fmt.Fprintf(w, "%s\n\n", r)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| method\t count\t errors\t p50 ms\t p99 ms\t p99.9 ms\t max ms\t")
	fmt.Fprintln(tw, "|---\t---:\t---:\t---:\t---:\t---:\t---:\t")
	row := func(name string, s MethodResult) {
		fmt.Fprintf(tw, "| %s\t %d\t %d\t %s\t %s\t %s\t %s\t\n", name, s.Count, s.Errors, Ms(s.P50), Ms(s.P99), Ms(s.P999), Ms(s.Max))
	}
	for _, m := range r.Methods {
		row(m.Method, m)
	}
	row("**all**", MethodResult{Summary: r.All, Errors: r.ErrorCount()})
	tw.Flush()
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nerrors by kind: %s\n", ErrorsString(r.Errors))
	}
	if r.FirstCheckFailure != "" {
		fmt.Fprintf(w, "first wrong answer: %s\n", r.FirstCheckFailure)
	}
	fmt.Fprintln(w)
}

// ErrorsString formats error counts as "kind=n" sorted by kind ("none" if
// empty).
func ErrorsString(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
