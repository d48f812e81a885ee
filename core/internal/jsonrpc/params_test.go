package jsonrpc

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBindParams(t *testing.T) {
	names := []string{"tx_hash", "verbose"}
	tests := []struct {
		name     string
		params   string
		required int
		want     []string // JSON per slot, "" for absent
		code     int
		msgHas   []string
	}{
		{"positional exact", `["aa",true]`, 1, []string{`"aa"`, `true`}, 0, nil},
		{"positional optional absent", `["aa"]`, 1, []string{`"aa"`, ""}, 0, nil},
		{"absent params", ``, 0, []string{"", ""}, 0, nil},
		{"null params", `null`, 0, []string{"", ""}, 0, nil},
		{"explicit null kept", `["aa",null]`, 1, []string{`"aa"`, `null`}, 0, nil},
		{"too few positional", `[]`, 1, nil, InvalidParams,
			[]string{`0 arguments passed to method "blockchain.transaction.get" but it requires 1`}},
		{"too few positional, singular", `["a"]`, 2, nil, InvalidParams,
			[]string{`1 argument passed to method "blockchain.transaction.get" but it requires 2`}},
		{"too many positional", `["a",true,3]`, 1, nil, InvalidParams,
			[]string{"3 arguments passed to method blockchain.transaction.get taking at most 2"}},
		{"named", `{"verbose":false,"tx_hash":"bb"}`, 1, []string{`"bb"`, `false`}, 0, nil},
		{"named optional absent", `{"tx_hash":"bb"}`, 1, []string{`"bb"`, ""}, 0, nil},
		{"named missing", `{"verbose":true}`, 1, nil, InvalidParams, []string{`"tx_hash"`, `blockchain.transaction.get`}},
		{"named missing two", `{}`, 2, nil, InvalidParams, []string{`"tx_hash", "verbose"`}},
		{"named excess", `{"tx_hash":"a","zeta":1,"alpha":2}`, 1, nil, InvalidParams, []string{`"alpha", "zeta"`}},
		{"scalar params", `5`, 0, nil, InvalidRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := BindParams("blockchain.transaction.get", json.RawMessage(tt.params), names, tt.required)
			if tt.code != 0 {
				if err == nil || err.Code != tt.code {
					t.Fatalf("got %v, want code %d", err, tt.code)
				}
				for _, s := range tt.msgHas {
					if !strings.Contains(err.Message, s) {
						t.Errorf("message %q lacks %q", err.Message, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(tt.want) {
				t.Fatalf("%d slots, want %d", len(out), len(tt.want))
			}
			for i, w := range tt.want {
				if string(out[i]) != w {
					t.Errorf("slot %d = %q, want %q", i, out[i], w)
				}
			}
		})
	}
}
