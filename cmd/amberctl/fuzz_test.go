package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// FuzzRender feeds arbitrary results to every renderer: they may reject a
// shape but must not panic.
func FuzzRender(f *testing.F) {
	for _, s := range []string{`[]`, `[[0,"T10","1.2.3.4:5","c","1.4",1.5,0,0,0,0,1,2,3,4,5.5]]`,
		`[{"host":"h","features":{"hosts":{"h":{"tcp_port":1}}}}]`, `{"a":[1,{"b":"\u00e9"}]}`, `"x"`, `[["g",1,2,3,4,5,6,7,8,9,10]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, m := range []string{"getinfo", "sessions", "groups", "peers", "query"} {
			_ = render(io.Discard, m, json.RawMessage(raw), goldenNow)
		}
	})
}

// FuzzParams checks that command-line arguments become valid JSON params.
func FuzzParams(f *testing.F) {
	for _, s := range []string{"query -l 5 6a", "reorg 7", "disconnect 1 all", "daemon_url u:p@h", "add_peer h s t", "log new"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			return
		}
		_, params, err := buildParams(fields[0], fields[1:])
		if err != nil {
			return
		}
		if _, err := json.Marshal(params); err != nil {
			t.Fatalf("%q: params %v do not marshal: %v", line, params, err)
		}
	})
}
