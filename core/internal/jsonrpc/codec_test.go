package jsonrpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

type goldenErr struct {
	Code    int     `json:"code"`
	Message string  `json:"message"`
	Cost    float64 `json:"cost"`
}

type goldenReq struct {
	ID           json.RawMessage `json:"id"`
	Method       string          `json:"method"`
	Params       json.RawMessage `json:"params"`
	Notification bool            `json:"notification"`
	Err          *goldenErr      `json:"err"`
}

type goldenCase struct {
	Name        string          `json:"name"`
	Dialect     string          `json:"dialect"`
	Input       string          `json:"input"`
	InputHex    string          `json:"input_hex"`
	WantDialect string          `json:"want_dialect"`
	WantBatch   bool            `json:"want_batch"`
	WantID      json.RawMessage `json:"want_id"`
	WantErr     *goldenErr      `json:"want_err"`
	WantReqs    []goldenReq     `json:"want_reqs"`
}

func parseDialect(t *testing.T, s string) Dialect {
	t.Helper()
	for _, d := range []Dialect{DialectUnknown, Dialect2, Dialect1, DialectLoose} {
		if d.String() == s || (s == "" && d == DialectUnknown) {
			return d
		}
	}
	t.Fatalf("bad dialect %q in golden file", s)
	return 0
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	if raw == nil {
		return "<nil>"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %q: %v", raw, err)
	}
	return b.String()
}

func checkErr(t *testing.T, what string, got *Error, want *goldenErr) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: got %v, want %+v", what, got, want)
	case got.Code != want.Code || got.Message != want.Message || got.Cost != want.Cost:
		t.Errorf("%s: got {%d %q %v}, want %+v", what, got.Code, got.Message, got.Cost, *want)
	}
}

func TestDecodeGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/decode.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			in := []byte(c.Input)
			if c.InputHex != "" {
				if in, err = hex.DecodeString(c.InputHex); err != nil {
					t.Fatal(err)
				}
			}
			d := parseDialect(t, c.Dialect)
			reqs, batch, id, derr := Decode(in, &d)
			if want := parseDialect(t, c.WantDialect); d != want {
				t.Errorf("dialect %v, want %v", d, want)
			}
			if batch != c.WantBatch {
				t.Errorf("batch %v, want %v", batch, c.WantBatch)
			}
			checkErr(t, "message error", derr, c.WantErr)
			if g, w := compact(t, id), compact(t, c.WantID); g != w {
				t.Errorf("error id %s, want %s", g, w)
			}
			if len(reqs) != len(c.WantReqs) {
				t.Fatalf("%d requests, want %d", len(reqs), len(c.WantReqs))
			}
			for i, r := range reqs {
				w := c.WantReqs[i]
				if g, wid := compact(t, r.ID), compact(t, w.ID); g != wid {
					t.Errorf("req %d: id %s, want %s", i, g, wid)
				}
				if r.Method != w.Method || r.Notification != w.Notification {
					t.Errorf("req %d: method %q notification %v, want %q %v", i, r.Method, r.Notification, w.Method, w.Notification)
				}
				if g, wp := compact(t, r.Params), compact(t, w.Params); g != wp {
					t.Errorf("req %d: params %s, want %s", i, g, wp)
				}
				checkErr(t, "item error", r.Err, w.Err)
			}
		})
	}
}

func TestDecodeKeepsRawID(t *testing.T) {
	for _, id := range []string{`1.50`, `-0`, `"\u00e9"`, `123456789012345678901234567890`} {
		d := Dialect2
		reqs, _, _, err := Decode([]byte(`{"jsonrpc":"2.0","method":"m","id":`+id+`}`), &d)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("id %s: %v", id, err)
		}
		if string(reqs[0].ID) != id {
			t.Errorf("id %s came back as %s", id, reqs[0].ID)
		}
	}
}

func TestDialectEnforcedAfterFirstMessage(t *testing.T) {
	tests := []struct {
		name     string
		first    string
		second   string
		want     Dialect
		wantCode int // 0: second message decodes fine
	}{
		{"2.0 then loose", `{"jsonrpc":"2.0","method":"a","id":1}`, `{"method":"a","id":2}`, Dialect2, InvalidRequest},
		{"loose then anything", `{"method":"a","id":1}`, `{"jsonrpc":"9","method":"a","id":2}`, DialectLoose, 0},
		{"1.0 then batch", `{"jsonrpc":"1.0","method":"a","params":[],"id":1}`, `[{"jsonrpc":"2.0","method":"a","id":2}]`, Dialect1, InvalidRequest},
		{"1.0 then 2.0 message without id", `{"jsonrpc":"1.0","method":"a","params":[],"id":1}`, `{"jsonrpc":"2.0","method":"a","params":[]}`, Dialect1, InvalidRequest},
		{"parse error keeps unknown", `{`, `{"jsonrpc":"1.0","method":"a","params":[],"id":1}`, Dialect1, 0},
		{"2.0 batch first", `[{"method":"a","id":1},{"jsonrpc":"2.0","method":"a","id":2}]`, `{"method":"a","id":2}`, Dialect2, InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Dialect
			Decode([]byte(tt.first), &d)
			_, _, _, err := Decode([]byte(tt.second), &d)
			if d != tt.want {
				t.Errorf("dialect %v, want %v", d, tt.want)
			}
			code := 0
			if err != nil {
				code = err.Code
			}
			if code != tt.wantCode {
				t.Errorf("second message error %v, want code %d", err, tt.wantCode)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	mustResult := func(d Dialect, id string, v any) string {
		var raw json.RawMessage
		if id != "" {
			raw = json.RawMessage(id)
		}
		b, err := EncodeResult(d, raw, v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mustNote := func(d Dialect, m string, p any) string {
		b, err := EncodeNotification(d, m, p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct{ got, want string }{
		{mustResult(Dialect2, "1", []string{"ElectrumX 1.16.0", "1.4"}), `{"jsonrpc":"2.0","result":["ElectrumX 1.16.0","1.4"],"id":1}`},
		{mustResult(DialectLoose, `"a"`, nil), `{"jsonrpc":"2.0","result":null,"id":"a"}`},
		{mustResult(DialectUnknown, "", map[string]int{"b": 2, "a": 1}), `{"jsonrpc":"2.0","result":{"a":1,"b":2},"id":null}`},
		{mustResult(Dialect1, "7", "x<&>"), `{"result":"x<&>","error":null,"id":7}`},
		{mustResult(Dialect2, "2", json.RawMessage(`{"hex":"00","height":5}`)), `{"jsonrpc":"2.0","result":{"hex":"00","height":5},"id":2}`},
		{string(EncodeError(Dialect2, json.RawMessage("3"), Errorf(BadRequest, "bad \"q\"\n\x01é\xff"))), `{"jsonrpc":"2.0","error":{"code":1,"message":"bad \"q\"\n\u0001é\ufffd"},"id":3}`},
		{string(EncodeError(Dialect1, nil, Errorf(ParseError, "invalid JSON"))), `{"result":null,"error":{"code":-32700,"message":"invalid JSON"},"id":null}`},
		{string(EncodeError(DialectLoose, json.RawMessage(`"z"`), Errorf(ServerBusy, "server busy - request timed out"))), `{"jsonrpc":"2.0","error":{"code":-102,"message":"server busy - request timed out"},"id":"z"}`},
		{string(EncodeBatch([][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)})), `[{"a":1},{"b":2}]`},
		{string(EncodeBatch(nil)), `[]`},
		{mustNote(Dialect2, "blockchain.headers.subscribe", []any{map[string]any{"height": 5}}), `{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{"height":5}]}`},
		{mustNote(Dialect1, "m", nil), `{"method":"m","params":[],"id":null}`},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got  %s\nwant %s", i, tt.got, tt.want)
		}
		if !json.Valid([]byte(tt.got)) {
			t.Errorf("%d: invalid JSON %s", i, tt.got)
		}
	}
	if _, err := EncodeResult(Dialect2, nil, json.RawMessage(`{`)); err == nil {
		t.Error("invalid raw result accepted")
	}
	if _, err := EncodeResult(Dialect2, nil, func() {}); err == nil {
		t.Error("unencodable result accepted")
	}
}

// TestRoundTrip checks that what Encode produces for a decoded request's id
// is read back by Go's own decoder with the same id.
func TestRoundTrip(t *testing.T) {
	var d Dialect
	reqs, _, _, err := Decode([]byte(`{"jsonrpc":"2.0","method":"server.ping","id":"x\"y"}`), &d)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := EncodeResult(d, reqs[0].ID, nil)
	var resp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.ID != `x"y` {
		t.Fatalf("%s: %v %q", out, err, resp.ID)
	}
}

const benchReq = `{"jsonrpc":"2.0","method":"blockchain.scripthash.get_history","id":42,"params":["5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282"]}`

func BenchmarkDecode(b *testing.B) {
	msg := []byte(benchReq)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		d := Dialect2
		reqs, _, _, err := Decode(msg, &d)
		if err != nil || len(reqs) != 1 {
			b.Fatal(err)
		}
	}
}

type histEntry struct {
	TxHash string `json:"tx_hash"`
	Height int    `json:"height"`
}

func BenchmarkEncodeResult(b *testing.B) {
	hist := make([]histEntry, 20)
	for i := range hist {
		hist[i] = histEntry{"4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", 100000 + i}
	}
	id := json.RawMessage("42")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeResult(Dialect2, id, hist); err != nil {
			b.Fatal(err)
		}
	}
}
