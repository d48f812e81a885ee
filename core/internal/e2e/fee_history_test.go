package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestFeeAndHistoryPlugins loads plugins/feeest and plugins/history into a
// real amberd. The fee plugin (mempool source, with a relay fee floor
// different from btcd's) must answer the core's blockchain.relayfee and
// blockchain.estimatefee; the history plugin's pages, walked with a small
// limit, must add up to the script's full history.
func TestFeeAndHistoryPlugins(t *testing.T) {
	bins := harness.Binaries(t)
	dir := filepath.Dir(bins.Amberd)
	node := harness.StartNode(t, regtest.NodeOptions{})
	_, info := generate(t, node, 61, regtest.Spec{Blocks: 130, TxPerBlock: 4, Scripts: 5, MempoolTxs: 3})
	m := buildModel(t, node)
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{
			"AMBER_PLUGINS__FEEEST__PATH":   filepath.Join(dir, "amber-feeest"),
			"AMBER_PLUGINS__FEEEST__CONFIG": `{"source":"mempool","relay_fee":0.0002}`,
			"AMBER_PLUGINS__HISTORY__PATH":  filepath.Join(dir, "amber-history"),
		}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	ctx := timeout(t, time.Minute)

	var relay float64
	if err := c.CallInto(ctx, &relay, "blockchain.relayfee"); err != nil || relay != 0.0002 {
		t.Errorf("blockchain.relayfee = %v (%v); want the fee plugin's 0.0002, not btcd's", relay, err)
	}
	// A mempool far below one block: the estimate is the relay fee floor.
	var est float64
	if err := c.CallInto(ctx, &est, "blockchain.estimatefee", 2); err != nil || est != 0.0002 {
		t.Errorf("blockchain.estimatefee 2 = %v (%v), want 0.0002", est, err)
	}

	// Page through the longest history in steps of 3.
	var sh string
	for _, s := range m.ScriptHashes() {
		if sh == "" || len(m.History(s)) > len(m.History(sh)) {
			sh = s
		}
	}
	want := m.History(sh)
	if len(want) < 7 {
		t.Fatalf("longest history has only %d entries (%d txs generated)", len(want), len(info.Confirmed))
	}
	var got []harness.HistoryEntry
	var cursor any
	for pages := 0; ; pages++ {
		var page struct {
			History []harness.HistoryEntry `json:"history"`
			Next    *string                `json:"next"`
		}
		if err := c.CallInto(ctx, &page, "amber.scripthash.get_history_page", sh, cursor, 3); err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(page.History) > 3 {
			t.Fatalf("page %d has %d entries, limit 3", pages, len(page.History))
		}
		got = append(got, page.History...)
		if page.Next == nil {
			break
		}
		cursor = *page.Next
		if pages > len(want) {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != len(want) {
		t.Fatalf("pages hold %d entries, the history has %d", len(got), len(want))
	}
	for i := range want {
		if got[i].TxHash != want[i].TxHash || got[i].Height != want[i].Height {
			g, _ := json.Marshal(got[i])
			w, _ := json.Marshal(want[i])
			t.Errorf("entry %d: %s, want %s", i, g, w)
		}
	}
}
