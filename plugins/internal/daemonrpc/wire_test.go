package daemonrpc

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestEncodeSingle(t *testing.T) {
	b, err := encodeSingle(7, "getblockcount", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"jsonrpc":"1.0","method":"getblockcount","id":7}`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	b, _ = encodeSingle(8, "getblock", []any{"ab", 0})
	if got, want := string(b), `{"jsonrpc":"1.0","method":"getblock","id":8,"params":["ab",0]}`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	b, _ = encodeBatch(3, []Request{{Method: "getrawmempool"}, {Method: "getblockhash", Params: []any{1}}})
	want := `[{"jsonrpc":"1.0","method":"getrawmempool","id":3,"params":[]},{"jsonrpc":"1.0","method":"getblockhash","id":4,"params":[1]}]`
	if string(b) != want {
		t.Fatalf("got %s want %s", b, want)
	}
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		result    string
		code      int
		malformed bool
	}{
		{name: "result", body: `{"result":5,"error":null,"id":1}`, result: "5"},
		{name: "null result", body: `{"result":null,"error":null,"id":1}`, result: "null"},
		{name: "error", body: `{"result":null,"error":{"code":-5,"message":"no tx"},"id":1}`, code: -5},
		{name: "btcd error with result", body: `{"result":-1,"error":{"code":-32600,"message":"Invalid request: malformed"},"id":1}`, code: -32600},
		{name: "empty", body: ``, malformed: true},
		{name: "html", body: `<html>401</html>`, malformed: true},
		{name: "no members", body: `{"id":1}`, malformed: true},
		{name: "array", body: `[]`, malformed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseReply([]byte(tc.body))
			var m *errMalformed
			if tc.malformed {
				if !errors.As(err, &m) {
					t.Fatalf("got %+v, %v; want malformed", r, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.code != 0 {
				if r.Err == nil || r.Err.DaemonCode != tc.code {
					t.Fatalf("got %+v, want code %d", r, tc.code)
				}
				return
			}
			if r.Err != nil || string(r.Result) != tc.result {
				t.Fatalf("got %+v, want %s", r, tc.result)
			}
		})
	}
}

func TestParseBatchReply(t *testing.T) {
	body := `[{"result":"c","error":null,"id":12},{"result":null,"error":{"code":-8,"message":"out of range"},"id":11},{"result":"a","error":null,"id":10}]`
	rs, err := parseBatchReply([]byte(body), 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if string(rs[0].Result) != `"a"` || rs[1].Err == nil || rs[1].Err.DaemonCode != -8 || string(rs[2].Result) != `"c"` {
		t.Fatalf("got %+v", rs)
	}
	bad := []string{
		`[{"result":1,"error":null,"id":10}]`,                                     // missing id 11
		`[{"result":1,"error":null,"id":10},{"result":1,"error":null,"id":10}]`,   // duplicate
		`[{"result":1,"error":null,"id":10},{"result":1,"error":null,"id":99}]`,   // foreign id
		`[{"result":1,"error":null,"id":10},{"result":1,"error":null,"id":"11"}]`, // string id
		`{"result":[1,2],"error":null,"id":null}`,                                 // object without error
		``,
	}
	for _, b := range bad {
		var m *errMalformed
		if _, err := parseBatchReply([]byte(b), 10, 2); !errors.As(err, &m) {
			t.Errorf("%s: got %v, want malformed", b, err)
		}
	}
	// A whole-batch error object applies to every item.
	rs, err = parseBatchReply([]byte(`{"result":null,"error":{"code":-32600,"message":"empty batch"},"id":null}`), 1, 2)
	if err != nil || len(rs) != 2 || rs[1].Err == nil || rs[1].Err.DaemonCode != -32600 {
		t.Fatalf("got %+v, %v", rs, err)
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{`{"result":5,"error":null,"id":1}`, `{"result":null,"error":{"code":-28,"message":"x"},"id":1}`, `[`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseReply(b)
		if err != nil {
			var m *errMalformed
			if !errors.As(err, &m) {
				t.Fatalf("non-malformed error %v", err)
			}
			return
		}
		if (r.Err == nil) == (r.Result == nil) {
			t.Fatalf("exactly one of Result and Err must be set: %+v", r)
		}
		if r.Result != nil && !json.Valid(r.Result) {
			t.Fatalf("invalid result JSON %q", r.Result)
		}
	})
}

func FuzzParseBatchReply(f *testing.F) {
	f.Add([]byte(`[{"result":"c","error":null,"id":2},{"result":1,"error":null,"id":1}]`), 2)
	f.Add([]byte(`{"result":null,"error":{"code":1,"message":""},"id":null}`), 3)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 64 {
			return
		}
		rs, err := parseBatchReply(b, 1, n)
		if err != nil {
			return
		}
		if len(rs) != n {
			t.Fatalf("got %d replies for %d requests", len(rs), n)
		}
		for _, r := range rs {
			if (r.Err == nil) == (r.Result == nil) {
				t.Fatalf("exactly one of Result and Err must be set: %+v", r)
			}
		}
	})
}
