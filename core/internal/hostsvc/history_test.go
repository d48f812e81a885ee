package hostsvc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// fillHistory gives sh n confirmed and m mempool entries; it returns them
// in the order History must list them.
func fillHistory(ix *fakeIndex, sh sdk.Hash, n, m int) []sdk.HistoryEntry {
	var want []sdk.HistoryEntry
	hx := hashX(sh)
	for i := range n {
		c := index.Confirmed{TxHash: h256(uint64(i)), Height: int64(1 + i/3)}
		ix.hist[hx] = append(ix.hist[hx], c)
		want = append(want, sdk.HistoryEntry{TxHash: c.TxHash, Height: c.Height})
	}
	for i := range m {
		e := index.MempoolEntry{TxHash: h256(uint64(1000 + i)), Height: int64(-(i % 2)), Fee: int64(100 + i)}
		ix.mempool[hx] = append(ix.mempool[hx], e)
		want = append(want, sdk.HistoryEntry{TxHash: e.TxHash, Height: e.Height, Fee: e.Fee})
	}
	return want
}

// TestHistoryFallback pages a history without HistoryPage, over the wire,
// for page sizes that split it in every way.
func TestHistoryFallback(t *testing.T) {
	ix := newFakeIndex(2)
	sh := sdk.ScriptHashOf([]byte("script"))
	want := fillHistory(ix, sh, 7, 3)
	h, _ := wireHost(t, New(Options{Index: ix}))
	for _, limit := range []int{1, 2, 3, 7, 10, 11} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			got, pages := pageAll(t, h, sh, limit)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("history = %v\nwant %v", got, want)
			}
			if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
	if got, _ := pageAll(t, h, sdk.ScriptHashOf([]byte("other")), 5); len(got) != 0 {
		t.Errorf("unknown script: %d entries", len(got))
	}
}

// TestHistoryFallbackLimit: a history beyond the fallback bound is refused
// with an error that says what is missing.
func TestHistoryFallbackLimit(t *testing.T) {
	ix := newFakeIndex(2)
	sh := sdk.ScriptHashOf([]byte("big"))
	fillHistory(ix, sh, 50, 0)
	_, _, err := New(Options{Index: ix, FallbackHistoryLimit: 20}).History(t.Context(), sh, "", 5)
	if sdk.KindOf(err) != sdk.KindUnavailable || !contains(err, "HistoryPage") {
		t.Errorf("History = %v, want unavailable naming HistoryPage", err)
	}
}

// TestHistoryPagerMillions pages a synthetic history of a million entries
// through HistoryPage: every entry arrives once, in order, and the index is
// never asked for more than one page.
func TestHistoryPagerMillions(t *testing.T) {
	const n = 1_000_000
	sh := sdk.ScriptHashOf([]byte("busy"))
	ix := &pagerIndex{fakeIndex: newFakeIndex(2), sh: hashX(sh), n: n}
	ix.mempool[hashX(sh)] = []index.MempoolEntry{{TxHash: h256(n + 1), Fee: 5}}
	srv := New(Options{Index: ix})
	count, pages := 0, 0
	for cur := ""; ; pages++ {
		es, next, err := srv.History(t.Context(), sh, cur, sdk.MaxHistoryPage)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			want := h256(uint64(count))
			if count == n {
				want = h256(n + 1)
			}
			if e.TxHash != want {
				t.Fatalf("entry %d out of order", count)
			}
			count++
		}
		if next == "" {
			break
		}
		cur = next
	}
	if count != n+1 || ix.maxPage > sdk.MaxHistoryPage || ix.historyCalls != 0 {
		t.Errorf("read %d entries in %d pages, largest index page %d, fallback calls %d; want %d, <= %d, 0",
			count, pages+1, ix.maxPage, ix.historyCalls, n+1, sdk.MaxHistoryPage)
	}
}

// TestHistoryPagerWire pages through HistoryPage over the wire.
func TestHistoryPagerWire(t *testing.T) {
	sh := sdk.ScriptHashOf([]byte("busy"))
	ix := &pagerIndex{fakeIndex: newFakeIndex(2), sh: hashX(sh), n: 25_000}
	h, _ := wireHost(t, New(Options{Index: ix}))
	got, pages := pageAll(t, h, sh, 0) // default page size
	if len(got) != 25_000 || pages != 25 || got[24_999].TxHash != h256(24_999) || got[24_999].Height != 24 {
		t.Errorf("%d entries in %d pages, want 25000 in 25", len(got), pages)
	}
}

// TestHistoryCursorErrors: garbage and cursors of the other paging mode
// are invalid arguments.
func TestHistoryCursorErrors(t *testing.T) {
	sh := sdk.ScriptHashOf([]byte("x"))
	plain := New(Options{Index: newFakeIndex(1)})
	paged := New(Options{Index: &pagerIndex{fakeIndex: newFakeIndex(1), sh: hashX(sh), n: 10}})
	tests := []struct {
		srv    *Server
		cursor string
	}{
		{plain, "z12"}, {plain, "c"}, {plain, "c-1"}, {plain, "o+1"}, {plain, "c5"}, {paged, "o5"},
	}
	for _, tt := range tests {
		if _, _, err := tt.srv.History(t.Context(), sh, tt.cursor, 5); sdk.KindOf(err) != sdk.KindInvalidArgument {
			t.Errorf("History(cursor %q) = %v, want invalid-argument", tt.cursor, err)
		}
	}
}

func contains(err error, s string) bool {
	return err != nil && len(s) > 0 && strings.Contains(err.Error(), s)
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "c0", "o12", "m3", "x1", "c", "c-1", "c18446744073709551615", "c18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCursor(s)
		if err != nil || s == "" {
			return
		}
		if c.phase != s[0] {
			t.Fatalf("cursor %q parsed with phase %q", s, c.phase)
		}
		if again, err := parseCursor(c.String()); err != nil || again != c {
			t.Fatalf("cursor %q: String %q parses to %v, %v", s, c.String(), again, err)
		}
	})
}
