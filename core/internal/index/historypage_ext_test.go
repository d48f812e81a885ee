package index_test

import (
	"fmt"
	"testing"

	"github.com/amber-electrum/amber/core/internal/hostsvc"
	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// The host services page a script's history through this interface when
// the index offers it.
var _ hostsvc.HistoryPager = (*index.Index)(nil)

// TestHostHistoryOverIndex pages a real index's history through the host
// services (hostsvc.Server, which uses HistoryPage): every page size gives
// the confirmed history in chain order and then the mempool entry, as
// Index.History lists them.
func TestHostHistoryOverIndex(t *testing.T) {
	ix, target := index.NewPagingTestIndex(t)
	conf, mem, err := ix.History(t.Context(), index.HashXFromScript(target), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mem) != 1 {
		t.Fatalf("test index has %d mempool entries for the script, want 1", len(mem))
	}
	var want []sdk.HistoryEntry
	for _, c := range conf {
		want = append(want, sdk.HistoryEntry{TxHash: c.TxHash, Height: c.Height})
	}
	for _, m := range mem {
		want = append(want, sdk.HistoryEntry{TxHash: m.TxHash, Height: m.Height, Fee: m.Fee})
	}
	srv := hostsvc.New(hostsvc.Options{Index: ix})
	defer srv.Close()
	sh := sdk.ScriptHashOf(target)
	n := len(want)
	for _, limit := range []int{1, 7, n - 1, n, n + 1} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var got []sdk.HistoryEntry
			cur := ""
			for pages := 1; ; pages++ {
				es, next, err := srv.History(t.Context(), sh, cur, limit)
				if err != nil {
					t.Fatalf("page %d (cursor %q): %v", pages, cur, err)
				}
				if len(es) > limit || (next != "" && len(es) == 0) {
					t.Fatalf("page %d: %d entries for limit %d, next %q", pages, len(es), limit, next)
				}
				got = append(got, es...)
				if next == "" {
					break
				}
				if pages > 1000 {
					t.Fatal("paging does not end")
				}
				cur = next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("host history\n got %v\nwant %v", got, want)
			}
		})
	}
}
