package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestPluginCommandsParams(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want map[string]any
		ok   bool
	}{
		{"plugins", nil, map[string]any{}, true},
		{"plugins", []string{"x"}, nil, false},
		{"plugin_restart", []string{"history"}, map[string]any{"name": "history"}, true},
		{"plugin_restart", nil, nil, false},
		{"plugin_restart", []string{"a", "b"}, nil, false},
	} {
		_, got, err := buildParams(tc.name, tc.args)
		if (err == nil) != tc.ok || (tc.ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s %q: %v, %v; want %v ok=%v", tc.name, tc.args, got, err, tc.want, tc.ok)
		}
	}
}

func TestPluginsRejectsWrongShapes(t *testing.T) {
	for _, raw := range []string{`{"a":1}`, `[1]`, `["x"]`, `"x"`} {
		var b bytes.Buffer
		if err := render(&b, "plugins", json.RawMessage(raw), goldenNow); err == nil {
			t.Errorf("render(plugins, %s) accepted: %q", raw, b.String())
		}
	}
}
