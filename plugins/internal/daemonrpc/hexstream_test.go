package daemonrpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
)

// hexItems renders a batch reply of hex results with ids from first.
func hexItems(first int, results ...string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range results {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"result":"%s","error":null,"id":%d}`, r, first+i)
	}
	b.WriteByte(']')
	return b.String()
}

func TestParseHexBatch(t *testing.T) {
	type want struct {
		raw     string // hex of Raw, "" for none
		daemon  int    // DaemonCode of Err, 0: no daemon error
		kind    sdk.Kind
		isErr   bool
		dropped bool
	}
	tests := []struct {
		name      string
		body      string
		n         int
		limit     int64
		want      []want
		malformed string // a substring of the errMalformed message
	}{
		{name: "in order", body: hexItems(1, "00ff", "abcd"), n: 2, limit: 100,
			want: []want{{raw: "00ff"}, {raw: "abcd"}}},
		{name: "upper case and whitespace", body: " [ {\"id\" : 1 ,\n\"result\":\"0A0b\", \"error\" : null } ] \n", n: 1, limit: 100,
			want: []want{{raw: "0a0b"}}},
		{name: "reverse order", body: `[{"result":"02","id":2},{"result":"01","id":1}]`, n: 2, limit: 100,
			want: []want{{raw: "01"}, {raw: "02"}}},
		{name: "member names in any case", body: `[{"ID":1,"Result":"0102","ERROR":null}]`, n: 1, limit: 100,
			want: []want{{raw: "0102"}}},
		{name: "repeated result keeps the last", body: `[{"result":"0102","id":1,"result":"03"}]`, n: 1, limit: 2,
			want: []want{{raw: "03"}}},
		{name: "unknown members skipped", body: `[{"x":{"y":["}",1]},"result":"01","id":1,"z":"\"]"}]`, n: 1, limit: 100,
			want: []want{{raw: "01"}}},
		{name: "daemon error item", body: `[{"result":"01","error":null,"id":1},{"result":null,"error":{"code":-5,"message":"Block not found"},"id":2}]`,
			n: 2, limit: 100, want: []want{{raw: "01"}, {daemon: -5, kind: sdk.KindDaemon, isErr: true}}},
		{name: "error after a result", body: `[{"result":"0102","error":{"code":-1,"message":"x"},"id":1}]`, n: 1, limit: 100,
			want: []want{{daemon: -1, kind: sdk.KindDaemon, isErr: true}}},
		{name: "not a string", body: `[{"result":{"a":1},"error":null,"id":1}]`, n: 1, limit: 100,
			want: []want{{kind: sdk.KindInternal, isErr: true}}},
		{name: "null without error", body: `[{"result":null,"error":null,"id":1}]`, n: 1, limit: 100,
			want: []want{{kind: sdk.KindInternal, isErr: true}}},
		{name: "whole batch refused", body: `{"result":null,"error":{"code":-28,"message":"Loading"},"id":null}`, n: 2, limit: 100,
			want: []want{{daemon: -28, kind: sdk.KindDaemon, isErr: true}, {daemon: -28, kind: sdk.KindDaemon, isErr: true}}},
		{name: "empty string", body: hexItems(1, ""), n: 1, limit: 100, want: []want{{raw: ""}}},
		{name: "limit drops the rest", body: hexItems(1, "0102", "0304", "0506"), n: 3, limit: 4,
			want: []want{{raw: "0102"}, {raw: "0304"}, {dropped: true}}},
		{name: "first kept over the limit", body: hexItems(1, "010203", "04"), n: 2, limit: 2,
			want: []want{{raw: "010203"}, {dropped: true}}},
		{name: "object reply to a batch", body: `{"result":"01","error":null,"id":1}`, n: 1, limit: 100, malformed: "object reply"},
		{name: "missing id", body: hexItems(1, "01"), n: 2, limit: 100, malformed: "missing"},
		{name: "duplicate id", body: `[{"result":"01","id":1},{"result":"01","id":1}]`, n: 2, limit: 100, malformed: "duplicate"},
		{name: "foreign id", body: hexItems(7, "01"), n: 1, limit: 100, malformed: "unexpected id"},
		{name: "no id", body: `[{"result":"01"}]`, n: 1, limit: 100, malformed: "without an id"},
		{name: "odd hex", body: hexItems(1, "012"), n: 1, limit: 100, malformed: "odd length"},
		{name: "bad hex", body: hexItems(1, "zz"), n: 1, limit: 100, malformed: "bad hex"},
		{name: "bad hex in a dropped result", body: hexItems(1, "0102", "01zz"), n: 2, limit: 1, malformed: "bad hex"},
		{name: "escape in hex", body: `[{"result":"01\"02","id":1}]`, n: 1, limit: 100, malformed: ""},
		{name: "cut inside a result", body: `[{"result":"0102`, n: 1, limit: 100, malformed: "ends inside"},
		{name: "cut after an item", body: `[{"result":"01","id":1}`, n: 1, limit: 100, malformed: ""},
		{name: "trailing data", body: hexItems(1, "01") + "x", n: 1, limit: 100, malformed: "after the batch"},
		{name: "not json", body: `<html>`, n: 1, limit: 100, malformed: "starts with"},
		{name: "neither", body: `[{"id":1}]`, n: 1, limit: 100, want: []want{{kind: sdk.KindInternal, isErr: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per Read: every chunk boundary inside a result is hit.
			got, err := parseHexBatch(iotest.OneByteReader(strings.NewReader(tt.body)), 1, tt.n, tt.limit)
			if tt.want == nil {
				var m *errMalformed
				if !errors.As(err, &m) || !strings.Contains(m.msg, tt.malformed) {
					t.Fatalf("error %v, want malformed %q", err, tt.malformed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				g := got[i]
				if hex.EncodeToString(g.Raw) != w.raw || g.Dropped != w.dropped {
					t.Errorf("item %d: raw %x dropped %v, want %s %v", i, g.Raw, g.Dropped, w.raw, w.dropped)
				}
				switch {
				case !w.isErr && g.Err != nil:
					t.Errorf("item %d: error %v", i, g.Err)
				case w.isErr && (g.Err == nil || g.Err.Kind != w.kind || g.Err.DaemonCode != w.daemon):
					t.Errorf("item %d: error %#v, want kind %v code %d", i, g.Err, w.kind, w.daemon)
				}
			}
		})
	}
}

// TestParseHexBatchKeptBound: whatever the sizes, the bytes kept never
// exceed the limit except for the first result, the kept results are the
// ones that fitted, and a result is never both kept and dropped.
func TestParseHexBatchKeptBound(t *testing.T) {
	sizes := []int{300, 5, 700, 1, 64 << 10, 2, 90 << 10, 3}
	for _, limit := range []int64{1, 100, 1000, 70 << 10, 1 << 20} {
		for rot := range sizes {
			var res []string
			for i := range sizes {
				res = append(res, strings.Repeat("ab", sizes[(i+rot)%len(sizes)]))
			}
			got, err := parseHexBatch(strings.NewReader(hexItems(1, res...)), 1, len(res), limit)
			if err != nil {
				t.Fatal(err)
			}
			var kept int64
			for i, g := range got {
				if g.Dropped == (g.Raw != nil) {
					t.Fatalf("limit %d rot %d item %d: dropped %v with %d bytes", limit, rot, i, g.Dropped, len(g.Raw))
				}
				if i > 0 && !g.Dropped {
					kept += int64(len(g.Raw))
				}
			}
			first := int64(len(got[0].Raw))
			if kept+first > max(limit, first) {
				t.Errorf("limit %d rot %d: kept %d bytes", limit, rot, kept+first)
			}
			if got[0].Dropped {
				t.Errorf("limit %d rot %d: the first result was dropped", limit, rot)
			}
		}
	}
}

// TestParseHexBatchResultCap: a result past maxHexResult fails the batch
// as malformed, even the first one (always kept under the window).
func TestParseHexBatchResultCap(t *testing.T) {
	defer func(v int) { maxHexResult = v }(maxHexResult)
	maxHexResult = 1000
	if _, err := parseHexBatch(strings.NewReader(hexItems(1, strings.Repeat("ab", 1000))), 1, 1, 1<<20); err != nil {
		t.Fatalf("a result of exactly the cap: %v", err)
	}
	_, err := parseHexBatch(strings.NewReader(hexItems(1, strings.Repeat("ab", 1001))), 1, 1, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Fatalf("a result past the cap: %v", err)
	}
}

// TestBatchHex runs BatchHex against the fake daemon, answering in order
// and in reverse order.
func TestBatchHex(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		f := fakedaemon.New(t)
		f.SetReverse(reverse)
		f.Handle("getblock", func(p []json.RawMessage) (any, *fakedaemon.Error) {
			var s string
			_ = json.Unmarshal(p[0], &s)
			if s == "missing" {
				return nil, &fakedaemon.Error{Code: -5, Message: "Block not found"}
			}
			return hex.EncodeToString([]byte(strings.Repeat(s, 1000))), nil
		})
		c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
		reps, err := c.BatchHex(context.Background(), "getblock", [][]any{{"a", 0}, {"missing", 0}, {"bc", 0}}, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if string(reps[0].Raw) != strings.Repeat("a", 1000) || reps[1].Err == nil || reps[1].Err.DaemonCode != -5 ||
			string(reps[2].Raw) != strings.Repeat("bc", 1000) {
			t.Errorf("reverse %v: replies %+v", reverse, reps)
		}
	}
}

// TestBatchHexCutIsRetried: a reply cut in the middle of a result is a
// transport failure, retried like any other, not a malformed reply.
func TestBatchHexCutIsRetried(t *testing.T) {
	f := fakedaemon.New(t)
	want := strings.Repeat("ab", 100<<10)
	f.Handle("getblock", fakedaemon.Constant(want))
	f.SetPre(func(w http.ResponseWriter, n int64) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000000")
		_, _ = io.WriteString(w, `[{"result":"`+want[:5000])
		return true // the server closes the connection short of its length
	})
	c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
	reps, err := c.BatchHex(context.Background(), "getblock", [][]any{{"x", 0}}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(reps[0].Raw) != want || f.Requests() != 2 {
		t.Errorf("got %d bytes after %d requests", len(reps[0].Raw), f.Requests())
	}
}

// FuzzParseHexBatch checks the streaming parser against encoding/json: on
// any body, with no limit, it agrees with parseBatchReply followed by a hex
// decode of each result, and it never panics.
func FuzzParseHexBatch(f *testing.F) {
	f.Add([]byte(hexItems(1, "00ff", "abcd")), int64(3))
	f.Add([]byte(`[{"result":null,"error":{"code":-5,"message":"x"},"id":2},{"result":"01","id":1}]`), int64(1))
	f.Add([]byte(`{"result":null,"error":{"code":-28,"message":"Loading"},"id":null}`), int64(0))
	f.Add([]byte(`[{"x":{"y":["}",1]},"result":"01","id":1,"z":"\"]"}]`), int64(5))
	f.Fuzz(func(t *testing.T, body []byte, limit int64) {
		const n = 2
		got, err := parseHexBatch(bytes.NewReader(body), 1, n, limit)
		if err == nil {
			var kept, largest int64
			for _, g := range got {
				kept += int64(len(g.Raw))
				largest = max(largest, int64(len(g.Raw)))
			}
			if kept > max(limit, largest) {
				t.Fatalf("kept %d bytes over limit %d", kept, limit)
			}
		}
		all, err := parseHexBatch(bytes.NewReader(body), 1, n, 1<<62)
		want, werr := parseBatchReply(body, 1, n)
		if werr != nil {
			return // encoding/json is stricter about what it skips
		}
		if err != nil {
			if !json.Valid(body) {
				return
			}
			// The streaming parser rejects a whole reply with a result that
			// is not plain hex (an escape, an odd length, a bad digit); the
			// json path then fails on that item only.
			for _, w := range want {
				if w.Err != nil || len(w.Result) == 0 || w.Result[0] != '"' {
					continue
				}
				var s string
				_ = json.Unmarshal(w.Result, &s)
				if _, herr := hex.DecodeString(s); herr != nil || bytes.ContainsRune(w.Result, '\\') {
					return
				}
			}
			t.Fatalf("streaming parser: %v; json path accepts %s", err, body)
			return
		}
		for i := range n {
			w, g := want[i], all[i]
			if (w.Err != nil) != (g.Err != nil && g.Err.Kind == sdk.KindDaemon) {
				if w.Err == nil && g.Err != nil && g.Err.Kind == sdk.KindInternal {
					continue // a result that is not a hex string
				}
				t.Fatalf("item %d: json %v, streaming %v", i, w.Err, g.Err)
			}
			if w.Err != nil {
				continue
			}
			var s string
			if json.Unmarshal(w.Result, &s) != nil {
				continue
			}
			if raw, herr := hex.DecodeString(s); herr == nil && !bytes.Equal(raw, g.Raw) {
				t.Fatalf("item %d: json %x, streaming %x", i, raw, g.Raw)
			}
		}
	})
}

// BenchmarkHexBatch compares decoding a batch reply of 20 blocks of 600 kB
// (a mainnet-like getblock batch) from a stream with the former path:
// the whole body read, encoding/json, then a hex decode of each result.
func BenchmarkHexBatch(b *testing.B) {
	block := bytes.Repeat([]byte{0x5a, 0x01, 0xfe}, 200_000)
	res := make([]string, 20)
	for i := range res {
		res[i] = hex.EncodeToString(block)
	}
	body := []byte(hexItems(1, res...))
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseHexBatch(bytes.NewReader(body), 1, len(res), 1<<40); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("readall+json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			data, _ := io.ReadAll(bytes.NewReader(body))
			reps, err := parseBatchReply(data, 1, len(res))
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range reps {
				out := make([]byte, (len(r.Result)-2)/2)
				if _, err := hex.Decode(out, r.Result[1:len(r.Result)-1]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
