package jsonrpc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var validCodes = map[int]bool{ParseError: true, InvalidRequest: true, MethodNotFound: true, InvalidParams: true}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(benchReq), uint8(0))
	f.Add([]byte(`[{"jsonrpc":"2.0","method":"a","id":1},5,{"method":"b"}]`), uint8(0))
	f.Add([]byte(`{"method":"a","params":{"x":[1,"]"]},"id":"\u0041"}`), uint8(3))
	f.Add([]byte(`{"result":null,"error":null,"id":1}`), uint8(1))
	f.Add([]byte("\xff"), uint8(2))
	f.Add([]byte(`[]`), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, dialect uint8) {
		d := Dialect(dialect % 4)
		before := d
		in := bytes.Clone(data)
		reqs, batch, id, err := Decode(in, &d)
		if !bytes.Equal(in, data) {
			t.Fatal("Decode modified its input")
		}
		if before != DialectUnknown && d != before {
			t.Fatalf("dialect changed from %v to %v", before, d)
		}
		if err != nil {
			if !validCodes[err.Code] || err.Message == "" || reqs != nil || batch {
				t.Fatalf("bad message error %+v reqs=%d batch=%v", err, len(reqs), batch)
			}
			if (err.Code == ParseError) != (err.Cost == ParseErrorCost) {
				t.Fatalf("parse error cost: %+v", err)
			}
			if !json.Valid(EncodeError(d, id, err)) {
				t.Fatal("error reply is not JSON")
			}
			return
		}
		if len(reqs) == 0 {
			t.Fatal("no requests and no error")
		}
		for _, r := range reqs {
			checkRequest(t, r, d)
		}
		if !batch {
			crossCheck(t, data, reqs[0], d)
		}
	})
}

func checkRequest(t *testing.T, r *Request, d Dialect) {
	t.Helper()
	if r.ID != nil {
		var v any
		if err := json.Unmarshal(r.ID, &v); err != nil {
			t.Fatalf("id %q: %v", r.ID, err)
		}
		switch v.(type) {
		case string, float64:
		default:
			t.Fatalf("id %s has type %T", r.ID, v)
		}
	}
	if r.Err != nil {
		if !validCodes[r.Err.Code] || r.Err.Code == ParseError {
			t.Fatalf("bad item error %+v", r.Err)
		}
		if !json.Valid(EncodeError(d, r.ID, r.Err)) {
			t.Fatal("item error reply is not JSON")
		}
		return
	}
	if r.Notification != (r.ID == nil) {
		t.Fatalf("notification %v with id %q", r.Notification, r.ID)
	}
	if r.Params != nil && r.Params[0] != '[' && (r.Params[0] != '{' || d == Dialect1) {
		t.Fatalf("params %q in dialect %v", r.Params, d)
	}
	if out, err := EncodeResult(d, r.ID, r.Params); err != nil || !json.Valid(out) {
		t.Fatalf("result reply %q: %v", out, err)
	}
}

// crossCheck compares the hand-written scanner with encoding/json on a
// single, valid request object.
func crossCheck(t *testing.T, data []byte, r *Request, d Dialect) {
	t.Helper()
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || r.Err != nil {
		return
	}
	var method string
	if err := json.Unmarshal(obj["method"], &method); err != nil {
		t.Fatalf("decoded method %q from non-string %s", r.Method, obj["method"])
	}
	// encoding/json replaces invalid surrogate escapes the same way in both paths.
	if method != r.Method {
		t.Fatalf("method %q, encoding/json says %q", r.Method, method)
	}
	if !sameJSON(obj["params"], r.Params) {
		t.Fatalf("params %s, encoding/json says %s", r.Params, obj["params"])
	}
	wantID := obj["id"]
	if strings.TrimSpace(string(wantID)) == "null" {
		wantID = nil
	}
	if !sameJSON(wantID, r.ID) {
		t.Fatalf("id %s, encoding/json says %s", r.ID, wantID)
	}
}

func sameJSON(a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

func FuzzBindParams(f *testing.F) {
	f.Add([]byte(`["a",1]`), "scripthash,verbose", uint8(1))
	f.Add([]byte(`{"scripthash":"x","zz":1}`), "scripthash", uint8(1))
	f.Add([]byte(`{}`), "a,b,c", uint8(3))
	f.Add([]byte(` null `), "", uint8(0))
	f.Fuzz(func(t *testing.T, params []byte, nameList string, req uint8) {
		var names []string
		if nameList != "" {
			names = strings.Split(nameList, ",")
		}
		required := int(req) % (len(names) + 1)
		out, err := BindParams("m", params, names, required)
		if err != nil {
			if err.Code != InvalidParams && err.Code != InvalidRequest {
				t.Fatalf("bad code %+v", err)
			}
			return
		}
		if len(out) != len(names) {
			t.Fatalf("%d slots for %d names", len(out), len(names))
		}
		for i := 0; i < required; i++ {
			if out[i] == nil {
				t.Fatalf("required slot %d (%q) empty", i, names[i])
			}
		}
		for i, v := range out {
			if v != nil && !json.Valid(v) {
				t.Fatalf("slot %d invalid JSON %q", i, v)
			}
		}
	})
}

// FuzzBindParamsPositional checks the positional binding against
// encoding/json: the same elements, or an error exactly when json.Unmarshal
// fails.
func FuzzBindParamsPositional(f *testing.F) {
	f.Add([]byte(`["aa", true]`))
	f.Add([]byte(` [ {"a":[1,"]"]} , "\"x\"" ,null ] `))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`[1,`))
	f.Add([]byte(`[]`))
	names := []string{"a", "b", "c"}
	f.Fuzz(func(t *testing.T, params []byte) {
		p := bytes.TrimSpace(params)
		if len(p) == 0 || p[0] != '[' {
			return
		}
		var want []json.RawMessage
		uerr := json.Unmarshal(p, &want)
		got, err := BindParams("m", params, names, 0)
		switch {
		case uerr != nil:
			if err == nil || err.Code != InvalidRequest {
				t.Fatalf("invalid params %q bound: %q %v", params, got, err)
			}
			return
		case len(want) > len(names):
			if err == nil || err.Code != InvalidParams {
				t.Fatalf("%d params bound to %d names: %v", len(want), len(names), err)
			}
			return
		case err != nil:
			t.Fatalf("valid params %q refused: %v", params, err)
		}
		for i, w := range want {
			if !bytes.Equal(got[i], w) {
				t.Fatalf("slot %d = %q, want %q", i, got[i], w)
			}
		}
		for _, g := range got[len(want):] {
			if g != nil {
				t.Fatalf("absent slot bound to %q", g)
			}
		}
	})
}
