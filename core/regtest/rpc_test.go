package regtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     string
		wantCode int
		wantErr  bool
	}{
		{"result", `{"result":5,"error":null,"id":1}`, "5", 0, false},
		{"null result", `{"result":null,"error":null,"id":1}`, "null", 0, false},
		{"rpc error", `{"result":null,"error":{"code":-26,"message":"rejected"},"id":1}`, "", -26, true},
		{"not json", `<html>`, "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseResponse([]byte(tc.body))
			if (err != nil) != tc.wantErr || RPCCode(err) != tc.wantCode {
				t.Fatalf("err %v (code %d), want err %v code %d", err, RPCCode(err), tc.wantErr, tc.wantCode)
			}
			if err == nil && string(got) != tc.want {
				t.Fatalf("result %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseBatch(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		ids     []uint64
		want    []string // result or "err:<code>"
		wantErr bool
	}{
		{"in order", `[{"result":1,"id":7},{"result":2,"id":8}]`, []uint64{7, 8}, []string{"1", "2"}, false},
		{"reordered", `[{"result":2,"id":8},{"result":1,"id":7}]`, []uint64{7, 8}, []string{"1", "2"}, false},
		{"item error", `[{"result":1,"id":7},{"error":{"code":-25,"message":"x"},"id":8}]`, []uint64{7, 8}, []string{"1", "err:-25"}, false},
		{"missing answer", `[{"result":1,"id":7}]`, []uint64{7, 8}, nil, true},
		{"duplicate id", `[{"result":1,"id":7},{"result":1,"id":7}]`, []uint64{7, 8}, nil, true},
		{"unknown id", `[{"result":1,"id":9}]`, []uint64{7}, nil, true},
		{"batch error object", `{"error":{"code":-32600,"message":"empty batch"},"id":null}`, []uint64{7}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := parseBatch([]byte(tc.body), tc.ids)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			var got []string
			for _, r := range rs {
				if r.Err != nil {
					got = append(got, "err:"+itoa(RPCCode(r.Err)))
				} else {
					got = append(got, string(r.Result))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestClientWire checks what the client puts on the wire against a fake
// server: jsonrpc "1.0", Basic auth, batch ids, integer params.
func TestClientWire(t *testing.T) {
	var seen []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(string(body), "[") {
			var reqs []map[string]any
			_ = json.Unmarshal(body, &reqs)
			seen = append(seen, reqs...)
			var out []map[string]any
			for i := len(reqs) - 1; i >= 0; i-- { // answer out of order
				out = append(out, map[string]any{"result": reqs[i]["method"], "id": reqs[i]["id"]})
			}
			_ = json.NewEncoder(w).Encode(out)
			return
		}
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		seen = append(seen, req)
		_ = json.NewEncoder(w).Encode(map[string]any{"result": 42, "error": nil, "id": req["id"]})
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := NewClient(host, "u", "p")
	ctx := context.Background()

	if n, err := c.GetBlockCount(ctx); err != nil || n != 42 {
		t.Fatalf("GetBlockCount = %d, %v", n, err)
	}
	rs, err := c.Batch(ctx, []Request{{Method: "a", Params: []any{1}}, {Method: "b"}})
	if err != nil || string(rs[0].Result) != `"a"` || string(rs[1].Result) != `"b"` {
		t.Fatalf("batch: %v %+v", err, rs)
	}
	if len(seen) != 3 {
		t.Fatalf("server saw %d requests", len(seen))
	}
	for _, r := range seen {
		if r["jsonrpc"] != "1.0" || r["id"] == nil {
			t.Fatalf("request without jsonrpc 1.0 or id: %v", r)
		}
		if p, ok := r["params"].([]any); !ok {
			t.Fatalf("params not an array: %v", r)
		} else if r["method"] == "a" && p[0] != float64(1) {
			t.Fatalf("params %v", p)
		}
	}
	if c.URL() != "u:p@"+host {
		t.Fatalf("URL %s", c.URL())
	}
	bad := NewClient(host, "u", "x")
	if _, err := bad.GetBlockCount(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad password: %v", err)
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"result":1,"error":null,"id":1}`))
	f.Add([]byte(`{"error":{"code":-1,"message":"m"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := parseResponse(b)
		if err == nil && res != nil && !json.Valid(res) {
			t.Fatalf("invalid JSON result %q", res)
		}
	})
}

func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(`[{"result":1,"id":1},{"result":2,"id":2}]`), uint8(2))
	f.Add([]byte(`[{"error":{"code":-5,"message":"x"},"id":1}]`), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		ids := make([]uint64, n%8)
		for i := range ids {
			ids[i] = uint64(i + 1)
		}
		rs, err := parseBatch(b, ids)
		if err != nil {
			return
		}
		if len(rs) != len(ids) {
			t.Fatalf("%d responses for %d ids", len(rs), len(ids))
		}
		for _, r := range rs {
			if r.Err != nil && r.Result != nil {
				t.Fatalf("response with both result and error: %+v", r)
			}
		}
	})
}
