package syncbench

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/regtest"
)

func header() []byte { return make([]byte, HeaderSize) }

func block(varint []byte, rest int) []byte {
	return append(append(header(), varint...), make([]byte, rest)...)
}

func TestTxCount(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
		want int
		err  error
	}{
		{"one byte", block([]byte{3}, 30), 3, nil},
		{"largest one byte", block([]byte{0xfc}, 0xfc*10), 0xfc, nil},
		{"fd", block([]byte{0xfd, 0x00, 0x01}, 2560), 256, nil},
		{"fe", block([]byte{0xfe, 0x00, 0x00, 0x01, 0x00}, 655360), 65536, nil},
		{"header only", header(), 0, errShort},
		{"truncated fd", block([]byte{0xfd, 0x01}, 0), 0, errShort},
		{"truncated ff", block([]byte{0xff, 1, 2, 3}, 0), 0, errShort},
		{"non-canonical fd", block([]byte{0xfd, 0x10, 0x00}, 200), 0, errNonCanon},
		{"non-canonical fe", block([]byte{0xfe, 0xff, 0xff, 0x00, 0x00}, 700000), 0, errNonCanon},
		{"non-canonical ff", block([]byte{0xff, 1, 0, 0, 0, 0, 0, 0, 0}, 100), 0, errNonCanon},
		{"zero", block([]byte{0}, 10), 0, errBadTxCount},
		{"more than fits", block([]byte{5}, 49), 0, errBadTxCount},
		{"huge", block([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0x80}, 100), 0, errBadTxCount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TxCount(tc.raw)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("TxCount = %d, %v; want %d, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// A real serialized block: the count matches the transactions in it.
func TestTxCountRealBlock(t *testing.T) {
	raw := testBlock(t, 0, 7)
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if got, err := TxCount(raw); err != nil || got != len(b.Transactions) || got != 7 {
		t.Fatalf("TxCount = %d, %v; the block has %d", got, err, len(b.Transactions))
	}
}

func FuzzTxCount(f *testing.F) {
	f.Add(block([]byte{3}, 30))
	f.Add(block([]byte{0xfd, 0x00, 0x01}, 2560))
	f.Add(block([]byte{0xfe, 0x00, 0x00, 0x01, 0x00}, 10))
	f.Add(block([]byte{0xff, 1, 0, 0, 0, 0, 0, 0, 0}, 10))
	f.Add(header())
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := TxCount(raw)
		if err != nil {
			return
		}
		// Whatever TxCount accepts, btcd's reader decodes to the same count.
		want, werr := wire.ReadVarInt(bytes.NewReader(raw[HeaderSize:]), 0)
		if werr != nil || uint64(n) != want {
			t.Fatalf("TxCount = %d, wire.ReadVarInt = %d, %v", n, want, werr)
		}
		if n < 1 || n*minTxSize > len(raw)-HeaderSize {
			t.Fatalf("TxCount = %d for a %d-byte block", n, len(raw))
		}
	})
}

func TestThin(t *testing.T) {
	pts := make([]int, 101)
	for i := range pts {
		pts[i] = i
	}
	for _, tc := range []struct {
		max  int
		want []int
	}{
		{0, pts}, {1, pts}, {200, pts}, {101, pts},
		{2, []int{0, 100}},
		{3, []int{0, 50, 100}},
		{5, []int{0, 25, 50, 75, 100}},
	} {
		got := Thin(pts, tc.max)
		if len(got) != len(tc.want) {
			t.Fatalf("Thin(101, %d) has %d points, want %d", tc.max, len(got), len(tc.want))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("Thin(101, %d) = %v, want %v", tc.max, got, tc.want)
			}
		}
	}
}

func TestRates(t *testing.T) {
	if got := PerSecond(500, 2e9); got != 250 {
		t.Errorf("PerSecond = %v", got)
	}
	if got := PerSecond(5, 0); got != 0 {
		t.Errorf("PerSecond over 0 = %v", got)
	}
	if got := Ratio(400, 500); got != 0.8 {
		t.Errorf("Ratio = %v", got)
	}
	if got := Ratio(1, 0); got != 0 {
		t.Errorf("Ratio over 0 = %v", got)
	}
	slow, fast := &Result{BlocksPerS: 400}, &Result{BlocksPerS: 600}
	for _, tc := range []struct {
		a, b   *Result
		want   *Result
		second bool
	}{
		{slow, fast, fast, true},
		{fast, slow, fast, false},
		{slow, slow, slow, false},
		{nil, slow, slow, true},
		{slow, nil, slow, false},
	} {
		got, second := Better(tc.a, tc.b)
		if got != tc.want || second != tc.second {
			t.Errorf("Better(%v, %v) = %v, %v", tc.a, tc.b, got, second)
		}
	}
}

func TestThrough(t *testing.T) {
	r := &Result{cumTxs: []int64{1, 3, 6}, cumBytes: []int64{100, 300, 600}}
	for _, tc := range []struct{ h, txs, bytes int64 }{{-1, 0, 0}, {0, 1, 100}, {1, 3, 300}, {2, 6, 600}, {9, 6, 600}} {
		if got := r.TxsThrough(tc.h); got != tc.txs {
			t.Errorf("TxsThrough(%d) = %d, want %d", tc.h, got, tc.txs)
		}
		if got := r.BytesThrough(tc.h); got != tc.bytes {
			t.Errorf("BytesThrough(%d) = %d, want %d", tc.h, got, tc.bytes)
		}
	}
}

func TestDecodeHexString(t *testing.T) {
	buf, err := decodeHexString(nil, json.RawMessage(`"00ff10"`))
	if err != nil || !bytes.Equal(buf, []byte{0, 0xff, 0x10}) {
		t.Fatalf("got %x, %v", buf, err)
	}
	for _, bad := range []string{`null`, `"0g"`, `12`, `"`} {
		if _, err := decodeHexString(buf, json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// testBlock serializes a block at height h (h used as its nonce) with ntx
// one-in one-out transactions.
func testBlock(t testing.TB, h int, ntx int) []byte {
	b := wire.MsgBlock{Header: wire.BlockHeader{Version: 4, Nonce: uint32(h)}}
	for i := range ntx {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: uint32(i)}, []byte{byte(h), byte(i)}, nil))
		tx.AddTxOut(wire.NewTxOut(int64(i), []byte{0x51}))
		b.AddTransaction(tx)
	}
	var w bytes.Buffer
	if err := b.Serialize(&w); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

// fakeDaemon answers batches of getblockcount, getblockhash and getblock
// over blocks (a JSON-RPC subset, like btcd).
func fakeDaemon(t *testing.T, blocks [][]byte) *regtest.Client {
	hashes := make([]string, len(blocks))
	byHash := map[string][]byte{}
	for i, b := range blocks {
		var hdr wire.BlockHeader
		if err := hdr.Deserialize(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		hashes[i] = hdr.BlockHash().String()
		byHash[hashes[i]] = b
	}
	type req struct {
		ID     uint64            `json:"id"`
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	answer := func(r req) map[string]any {
		out := map[string]any{"id": r.ID, "result": nil, "error": nil}
		switch r.Method {
		case "getblockcount":
			out["result"] = len(blocks) - 1
		case "getblockhash":
			var h int
			if err := json.Unmarshal(r.Params[0], &h); err != nil || h < 0 || h >= len(blocks) {
				out["error"] = map[string]any{"code": -1, "message": "Block number out of range"}
			} else {
				out["result"] = hashes[h]
			}
		case "getblock":
			var hash string
			_ = json.Unmarshal(r.Params[0], &hash)
			if b, ok := byHash[hash]; ok && string(r.Params[1]) == "0" {
				out["result"] = hex.EncodeToString(b)
			} else {
				out["error"] = map[string]any{"code": -5, "message": "Block not found"}
			}
		}
		return out
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var batch []req
		if err := json.Unmarshal(body, &batch); err != nil {
			var one req
			if err := json.Unmarshal(body, &one); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			_ = json.NewEncoder(w).Encode(answer(one))
			return
		}
		out := make([]map[string]any, len(batch))
		for i, q := range batch {
			out[i] = answer(q)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return regtest.NewClient(strings.TrimPrefix(srv.URL, "http://"), "u", "p")
}

func TestFetch(t *testing.T) {
	var blocks [][]byte
	var wantTxs, wantBytes int64
	for h := range 23 {
		b := testBlock(t, h, 1+h%5)
		blocks = append(blocks, b)
		wantTxs += int64(1 + h%5)
		wantBytes += int64(len(b))
	}
	c := fakeDaemon(t, blocks)
	for _, tc := range []struct{ batch, conc int }{{50, 1}, {5, 1}, {4, 3}, {1, 8}} {
		var calls int
		var last int64 = -1
		r, err := Fetch(context.Background(), Options{Client: c, BatchSize: tc.batch, Concurrency: tc.conc,
			Progress: func(h, tip int64, _ time.Duration) {
				if h <= last || tip != 22 {
					t.Errorf("progress %d after %d (tip %d)", h, last, tip)
				}
				last = h
				calls++
			}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Tip != 22 || r.Blocks != 23 || r.Txs != wantTxs || r.Bytes != wantBytes || last != 22 {
			t.Fatalf("batch %d x%d: %+v (want %d txs, %d bytes; last progress %d)", tc.batch, tc.conc, r, wantTxs, wantBytes, last)
		}
		if r.TxsThrough(0) != 1 || r.TxsThrough(22) != wantTxs || r.BytesThrough(1) != int64(len(blocks[0])+len(blocks[1])) {
			t.Fatalf("running totals: %d %d %d", r.TxsThrough(0), r.TxsThrough(22), r.BytesThrough(1))
		}
		if s := r.Series; len(s) != calls+1 || s[0].Height != -1 || s[len(s)-1].Height != 22 {
			t.Fatalf("series %v (%d progress calls)", s, calls)
		}
		for i := 1; i < len(r.Series); i++ {
			if r.Series[i].Height <= r.Series[i-1].Height || r.Series[i].TSec < r.Series[i-1].TSec {
				t.Fatalf("series not increasing: %v", r.Series)
			}
		}
		if r.TipHash == "" || r.BatchSize != tc.batch || r.Concurrency != tc.conc {
			t.Fatalf("%+v", r)
		}
	}
}

// A block whose header does not hash to the hash asked for is an error.
func TestFetchWrongBlock(t *testing.T) {
	blocks := [][]byte{testBlock(t, 0, 1), testBlock(t, 1, 1)}
	c := fakeDaemon(t, blocks)
	blocks[1][HeaderSize-1] ^= 1 // served content changes after the hashes were taken
	if _, err := Fetch(context.Background(), Options{Client: c}); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Fatalf("err = %v", err)
	}
}
