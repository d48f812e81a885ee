package index

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// NewPagingTestIndex returns a synced index whose script target has a
// history of a few dozen confirmed entries with tx numbers interleaved with
// other scripts' (fan-out blocks around random ones that spend target's
// outputs), and one mempool entry. It is exported for the hostsvc-style
// test in package index_test.
func NewPagingTestIndex(t testing.TB) (ix *Index, target []byte) {
	t.Helper()
	target = p2wpkh(0x42)
	blocks := genChain([]*wire.MsgBlock{genesisBlock()}, 4, 7, 1)
	blocks = genChainWithFanout(blocks, target, 3, 5)
	blocks = genChain(blocks, 6, 8, 1)
	blocks = genChainWithFanout(blocks, target, 2, 4)
	last := blocks[len(blocks)-1].Transactions[0] // its output 0 pays target, unspent
	chain := &fakeChain{}
	chain.set(blocks, spend([]wire.OutPoint{op(last, 0)}, true, out{target, 600}))
	ix = newTestIndex(t, chain, nil, nil)
	settle(t, ix)
	return ix, target
}

// pageAll reads hx's confirmed history through HistoryPage with pages of
// limit, checking the cursor rules on the way.
func pageAll(t *testing.T, ix *Index, h HashX, limit int) (all []Confirmed, pages int) {
	t.Helper()
	var from uint64
	for {
		page, next, err := ix.HistoryPage(context.Background(), h, from, limit)
		if err != nil {
			t.Fatalf("HistoryPage(from %d, limit %d): %v", from, limit, err)
		}
		pages++
		all = append(all, page...)
		if next == 0 {
			return all, pages
		}
		if len(page) != limit {
			t.Fatalf("page %d has %d entries and a next cursor %d; want %d", pages, len(page), next, limit)
		}
		if next <= from {
			t.Fatalf("next %d does not advance past from %d", next, from)
		}
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		from = next
	}
}

func TestHistoryPageEqualsHistory(t *testing.T) {
	ix, target := NewPagingTestIndex(t)
	want, _, err := ix.History(context.Background(), hx(target), 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(want)
	if n < 20 {
		t.Fatalf("test history has only %d entries", n)
	}
	for _, limit := range []int{1, 7, n, n + 1} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			got, pages := pageAll(t, ix, hx(target), limit)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("paged history (%d entries) differs from History (%d entries)\n got %v\nwant %v", len(got), n, got, want)
			}
			// A last page that ends exactly at the last entry has next 0:
			// no empty extra page.
			if wantPages := (n + limit - 1) / limit; pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
}

func TestHistoryPageEdges(t *testing.T) {
	ix, target := NewPagingTestIndex(t)
	ctx := context.Background()
	full, _, err := ix.History(ctx, hx(target), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The tx number of the second entry: the next of a one-entry page.
	_, second, err := ix.HistoryPage(ctx, hx(target), 0, 1)
	if err != nil || second == 0 {
		t.Fatalf("first page of 1: next %d, %v", second, err)
	}
	tests := []struct {
		name     string
		h        HashX
		from     uint64
		limit    int
		want     []Confirmed
		wantNext bool
	}{
		{"limit 0", hx(target), 0, 0, nil, false},
		{"negative limit", hx(target), 0, -3, nil, false},
		{"unknown script", hx(p2pkh(0xfe)), 0, 10, []Confirmed{}, false},
		{"from the second entry", hx(target), second, len(full), full[1:], false},
		{"from just past the first entry", hx(target), 1 + mustFirstTxNum(t, ix, target), 2, full[1:3], true},
		{"from past the end", hx(target), maxTxNum, 10, []Confirmed{}, false},
		{"from beyond tx numbers (no wrap-around)", hx(target), maxTxNum + 1, 10, nil, false},
		{"from 2^64-1", hx(target), ^uint64(0), 10, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := ix.HistoryPage(ctx, tt.h, tt.from, tt.limit)
			if err != nil || !reflect.DeepEqual(got, tt.want) || (next != 0) != tt.wantNext {
				t.Errorf("HistoryPage = %v, next %d, %v; want %v, next set %v", got, next, err, tt.want, tt.wantNext)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := ix.HistoryPage(cctx, hx(target), 0, 5); err == nil {
		t.Error("HistoryPage with a cancelled context succeeded")
	}
}

// mustFirstTxNum returns the tx number of target's first history entry,
// read from the store keys.
func mustFirstTxNum(t *testing.T, ix *Index, target []byte) uint64 {
	t.Helper()
	for _, kv := range dumpStore(t, ix.st) {
		prefix := fmt.Sprintf("%x", hxPrefix(pHist, hx(target)))
		if len(kv) > len(prefix) && kv[:len(prefix)] == prefix {
			var n uint64
			if _, err := fmt.Sscanf(kv[len(prefix):len(prefix)+10], "%x", &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no history row")
	return 0
}
