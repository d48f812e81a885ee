package histpage

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// txh is the synthetic txid of history entry i.
func txh(i int) sdk.Hash {
	var h sdk.Hash
	binary.BigEndian.PutUint64(h[:], uint64(i))
	h[31] = 0xab
	return h
}

// history returns n confirmed entries (height i/100 + 1) followed by the
// mempool entries given as fees.
func history(n int, mempoolFees ...int64) []sdk.HistoryEntry {
	out := make([]sdk.HistoryEntry, 0, n+len(mempoolFees))
	for i := range n {
		out = append(out, sdk.HistoryEntry{TxHash: txh(i), Height: int64(i/100 + 1)})
	}
	for j, fee := range mempoolFees {
		out = append(out, sdk.HistoryEntry{TxHash: txh(n + j), Height: -int64(j % 2), Fee: fee})
	}
	return out
}

var shA = sdk.ScriptHashOf([]byte("script A"))

// wired returns the host-side adapter of the plugin configured with host
// services answering from host.
func wired(t testing.TB, host *sdktest.FakeHost) sdk.MethodProvider {
	t.Helper()
	c := sdktest.NewMethods(t, New(), sdktest.WithHost(host))
	if err := c.Configure(ctx(t), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	return c
}

func call(t testing.TB, c sdk.MethodProvider, params string) (Page, error) {
	t.Helper()
	res, err := c.Call(ctx(t), Method, json.RawMessage(params), sdk.SessionInfo{})
	if err != nil {
		return Page{}, err
	}
	var p Page
	if err := json.Unmarshal(res, &p); err != nil {
		t.Fatalf("result %s: %v", res, err)
	}
	if !strings.Contains(string(res), `"next":`) {
		t.Errorf("result %s has no next key", res)
	}
	return p, nil
}

func TestConform(t *testing.T) {
	sdktest.ConformMethods(t, wired(t, sdktest.NewFakeHost(3)))
}

func TestBadParams(t *testing.T) {
	host := sdktest.NewFakeHost(3)
	host.Histories[shA] = history(5)
	c := wired(t, host)
	good := `"` + shA.String() + `"`
	for _, tc := range []struct{ params, msg string }{
		{`["abcd"]`, "abcd is not a valid script hash"},
		{`["` + strings.Repeat("zz", 32) + `"]`, strings.Repeat("zz", 32) + " is not a valid script hash"},
		{`[5]`, "5 is not a valid script hash"},
		{`[["a"]]`, "['a'] is not a valid script hash"},
		{`[null]`, "None is not a valid script hash"},
		{`[{"a":true}]`, "{'a': True} is not a valid script hash"},
		{`[` + good + `, 7]`, "cursor 7 should be a string or null"},
		{`[` + good + `, null, 0]`, "limit 0 should be a positive integer"},
		{`[` + good + `, null, -3]`, "limit -3 should be a positive integer"},
		{`[` + good + `, null, 1.5]`, "limit 1.5 should be a positive integer"},
		{`[` + good + `, null, "10"]`, "limit 10 should be a positive integer"},
		{`[` + good + `, "nope"]`, `bad history cursor "nope"`}, // the host's refusal
	} {
		_, err := call(t, c, tc.params)
		var se *sdk.Error
		if sdk.KindOf(err) != sdk.KindInvalidArgument || !asError(err, &se) || se.Message != tc.msg {
			t.Errorf("%s: got %v, want invalid argument %q", tc.params, err, tc.msg)
		}
	}
}

func asError(err error, se **sdk.Error) bool {
	e, ok := err.(*sdk.Error)
	*se = e
	return ok
}

func TestNoHost(t *testing.T) {
	c := sdktest.NewMethods(t, New())
	if _, err := call(t, c, `["`+shA.String()+`"]`); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("without host services: %v, want unavailable", err)
	}
}

// TestPaging walks a small history with mempool entries page by page.
func TestPaging(t *testing.T) {
	host := sdktest.NewFakeHost(3)
	host.Histories[shA] = history(5, 300, 450)
	c := wired(t, host)
	var got []Entry
	cursor := "null"
	pages := 0
	for {
		p, err := call(t, c, fmt.Sprintf(`["%s", %s, 2]`, strings.ToUpper(shA.String()), cursor))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(p.History) > 2 {
			t.Fatalf("page %d has %d entries, limit 2", pages, len(p.History))
		}
		got = append(got, p.History...)
		if p.Next == nil {
			break
		}
		js, _ := json.Marshal(*p.Next)
		cursor = string(js)
	}
	if pages != 4 || len(got) != 7 {
		t.Fatalf("%d pages, %d entries; want 4 pages, 7 entries", pages, len(got))
	}
	for i, e := range got {
		want := Entry{TxHash: txh(i).String(), Height: int64(i/100 + 1)}
		if i >= 5 {
			fee := []int64{300, 450}[i-5]
			want = Entry{TxHash: txh(i).String(), Height: -int64((i - 5) % 2), Fee: &fee}
		}
		if e.TxHash != want.TxHash || e.Height != want.Height || (e.Fee == nil) != (want.Fee == nil) ||
			(e.Fee != nil && *e.Fee != *want.Fee) {
			t.Errorf("entry %d = %+v, want %+v", i, e, want)
		}
	}

	// Defaults: no cursor and no limit is the first page of DefaultLimit.
	host.Lock()
	host.Histories[shA] = history(DefaultLimit + 1)
	host.Unlock()
	p, err := call(t, c, `["`+shA.String()+`"]`)
	if err != nil || len(p.History) != DefaultLimit || p.Next == nil {
		t.Errorf("default page: %d entries, next %v, %v; want %d and a cursor", len(p.History), p.Next, err, DefaultLimit)
	}
	// An unknown script hash has an empty last page.
	p, err = call(t, c, `["`+sdk.ScriptHashOf([]byte("nobody")).String()+`"]`)
	if err != nil || len(p.History) != 0 || p.Next != nil || p.History == nil {
		t.Errorf("empty history = %+v, %v; want [] and null", p, err)
	}
}

// allocPerCall returns the bytes allocated (by every goroutine: plugin,
// host and wire) during one call.
func allocPerCall(t testing.TB, c sdk.MethodProvider, params string) (Page, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Call(ctx(t), Method, json.RawMessage(params), sdk.SessionInfo{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	var p Page
	if err := json.Unmarshal(res, &p); err != nil {
		t.Fatal(err)
	}
	return p, after.TotalAlloc - before.TotalAlloc
}

func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMillionEntriesBoundedMemory pages a 1,000,000-entry history to the
// end through the wire. What each call allocates must not depend on the
// history's length: it is compared with the same page size over a history
// fifty times shorter, and it must stay far below the history's own size.
// The memory retained after the walk is bounded too.
func TestMillionEntriesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large history")
	}
	const n, limit = 1_000_000, MaxLimit
	host := sdktest.NewFakeHost(3)
	shSmall := sdk.ScriptHashOf([]byte("small"))
	host.Histories[shSmall] = history(2 * limit)
	host.Histories[shA] = history(n)
	c := wired(t, host)

	// Baseline: the first page of a 20,000-entry history (warm the wire up
	// first).
	allocPerCall(t, c, fmt.Sprintf(`["%s", null, %d]`, shSmall, limit))
	_, baseline := allocPerCall(t, c, fmt.Sprintf(`["%s", null, %d]`, shSmall, limit))

	start := heapNow()
	var worst uint64
	seen, pages := 0, 0
	cursor := "null"
	for {
		p, alloc := allocPerCall(t, c, fmt.Sprintf(`["%s", %s, %d]`, shA, cursor, limit))
		worst = max(worst, alloc)
		pages++
		for _, e := range p.History {
			if want := txh(seen).String(); e.TxHash != want || e.Height != int64(seen/100+1) {
				t.Fatalf("entry %d = %+v, want %s at %d", seen, e, want, seen/100+1)
			}
			seen++
		}
		if p.Next == nil {
			break
		}
		if pages > n/limit+1 {
			t.Fatalf("more than %d pages", n/limit+1)
		}
		js, _ := json.Marshal(*p.Next)
		cursor = string(js)
	}
	retained := int64(heapNow()) - int64(start)
	if seen != n || pages != n/limit {
		t.Fatalf("walked %d entries in %d pages; want %d in %d", seen, pages, n, n/limit)
	}
	historyBytes := uint64(n) * uint64(len(sdk.Hash{})+16)
	t.Logf("per-call allocation: baseline %d KiB, worst %d KiB; history %d MiB; retained %d KiB",
		baseline>>10, worst>>10, historyBytes>>20, retained>>10)
	if bound := 2*baseline + 4<<20; worst > bound {
		t.Errorf("a page of the 1,000,000-entry history allocated %d bytes, more than %d (twice the 20,000-entry page plus 4 MiB)", worst, bound)
	}
	if worst > historyBytes/2 {
		t.Errorf("a page allocated %d bytes, half the history's %d", worst, historyBytes)
	}
	if retained > 16<<20 {
		t.Errorf("the walk retained %d bytes, more than 16 MiB", retained)
	}
}

// FuzzParams: the parameter parsers never panic and refuse with
// KindInvalidArgument only.
func FuzzParams(f *testing.F) {
	for _, s := range []string{`"` + shA.String() + `"`, `null`, `5`, `1.5`, `"x"`, `[1,{"a":null}]`, `1e400`, `-0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, parse := range []func(json.RawMessage) error{
			func(r json.RawMessage) error { _, err := parseScriptHash(r); return err },
			func(r json.RawMessage) error { _, err := parseCursor(r); return err },
			func(r json.RawMessage) error {
				n, err := parseLimit(r)
				if err == nil && (n < 1 || n > MaxLimit) {
					t.Errorf("parseLimit(%s) = %d, outside [1, %d]", r, n, MaxLimit)
				}
				return err
			},
		} {
			if err := parse(json.RawMessage(raw)); err != nil && sdk.KindOf(err) != sdk.KindInvalidArgument {
				t.Errorf("%s: %v is not an invalid-argument error", raw, err)
			}
		}
	})
}
