package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

func printJSON(w io.Writer, raw json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("bad JSON result: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// render prints a result for humans: objects as aligned "key: value"
// lines (nested objects indented), lists of strings one per line, lists of
// rows as a table, anything else as JSON.
func render(w io.Writer, method string, raw json.RawMessage) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("bad JSON result: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch x := v.(type) {
	case map[string]any:
		renderObject(tw, x, "")
	case []any:
		renderList(tw, x)
	case string:
		fmt.Fprintln(tw, x)
	default:
		return printJSON(w, raw)
	}
	return tw.Flush()
}

func renderObject(w io.Writer, m map[string]any, indent string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := m[k].(map[string]any); ok {
			fmt.Fprintf(w, "%s%s:\t\n", indent, k)
			renderObject(w, sub, indent+"  ")
			continue
		}
		fmt.Fprintf(w, "%s%s:\t%s\n", indent, k, scalar(m[k]))
	}
}

func renderList(w io.Writer, list []any) {
	for _, item := range list {
		switch x := item.(type) {
		case []any:
			cells := make([]string, len(x))
			for i, c := range x {
				cells[i] = scalar(c)
			}
			fmt.Fprintln(w, strings.Join(cells, "\t"))
		case map[string]any:
			renderObject(w, x, "")
			fmt.Fprintln(w)
		default:
			fmt.Fprintln(w, scalar(x))
		}
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
