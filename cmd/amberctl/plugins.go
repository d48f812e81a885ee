package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/amber-electrum/amber/core/pyfmt"
)

// pluginsLines renders the plugins result as a table whose columns are as
// wide as their longest cell; the last error, which can be long, comes
// last.
func pluginsLines(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	header := []string{"Name", "Role", "State", "PID", "Restarts", "Crashes", "Version", "SDK", "Methods", "Binary", "Last error"}
	right := []bool{false, false, false, true, true, true, false, false, false, false, false}
	table := [][]string{header}
	for i, p := range list {
		item, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("plugin %d is not an object", i)
		}
		pid := str(item["pid"])
		if num(item["pid"]) == 0 {
			pid = "-"
		}
		table = append(table, []string{
			str(item["name"]), str(item["role"]), str(item["state"]), pid,
			pyfmt.Thousands(num(item["restarts"])), pyfmt.Thousands(num(item["crashes"])),
			str(item["version"]), str(item["sdk_version"]), methodNames(item["methods"]), str(item["binary"]),
			str(item["last_error"]),
		})
	}
	widths := make([]int, len(header))
	for _, row := range table {
		for c, cell := range row {
			widths[c] = max(widths[c], utf8.RuneCountInString(cell))
		}
	}
	lines := make([]string, len(table))
	for r, row := range table {
		var b strings.Builder
		for c, cell := range row {
			if c > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[c]-utf8.RuneCountInString(cell))
			switch {
			case right[c]:
				b.WriteString(pad + cell)
			case c == len(row)-1:
				b.WriteString(cell)
			default:
				b.WriteString(cell + pad)
			}
		}
		lines[r] = strings.TrimRight(b.String(), " ")
	}
	return lines, nil
}

// methodNames joins the names of a plugin's methods ("-" for none).
func methodNames(v any) string {
	list, _ := v.([]any)
	var names []string
	for _, m := range list {
		if obj, ok := m.(map[string]any); ok {
			names = append(names, str(obj["name"]))
		}
	}
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}

// pluginRestartArgs takes exactly one plugin name.
func pluginRestartArgs(args []string) (map[string]any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("takes one plugin name (see amberctl plugins)")
	}
	return map[string]any{"name": args[0]}, nil
}
