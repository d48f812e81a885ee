package index

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// TestReorgNotifiedOnceFinalState replays issue 12 item 15: a one-block
// reorg whose new branch replaces a payment to the merchant by a double
// spend to a thief and then grows by a block. Subscribers get one event,
// for the new tip, and at that moment the index answers the final state:
// the payment is gone, the double spend confirmed and the mempool rebuilt.
func TestReorgNotifiedOnceFinalState(t *testing.T) {
	ctx := context.Background()
	payer, merchant, thief := p2pkh(0x51), p2wpkh(0x52), p2wpkh(0x53)
	g := genesisBlock()
	cb1 := coinbase(1, 0, out{payer, 50e8})
	cb2 := coinbase(2, 0, out{payer, 50e8})
	base := []*wire.MsgBlock{g, mkBlock(g, 1, 0, cb1)}
	base = append(base, mkBlock(base[1], 2, 0, cb2))
	base = append(base, mkBlock(base[2], 3, 0))
	pay := spend([]wire.OutPoint{op(cb1, 0)}, true, out{merchant, 10e8}, out{payer, 39e8})
	a := append(append([]*wire.MsgBlock(nil), base...), mkBlock(base[3], 4, 0, pay))
	ds := spend([]wire.OutPoint{op(cb1, 0)}, false, out{thief, 49e8})
	b := append(append([]*wire.MsgBlock(nil), base...), mkBlock(base[3], 4, 7, ds))
	b = append(b, mkBlock(b[4], 5, 7))
	unconf := spend([]wire.OutPoint{op(cb2, 0)}, true, out{merchant, 1e8}, out{payer, 48e8})

	type seen struct {
		ev             Event
		tip            int64
		merchant, thf  []Confirmed
		merchantMempol []MempoolEntry
	}
	var events []seen
	chain := &fakeChain{}
	chain.set(a, unconf)
	var ix *Index
	ix = newTestIndex(t, chain, nil, func(o *Options) {
		o.Notify = func(e Event) {
			s := seen{ev: e}
			s.tip, _, _ = ix.Tip()
			s.merchant, s.merchantMempol, _ = ix.History(ctx, hx(merchant), 0)
			s.thf, _, _ = ix.History(ctx, hx(thief), 0)
			events = append(events, s)
		}
	})
	settle(t, ix)
	// Caught up on a: the payment is confirmed.
	if conf, _, _ := ix.History(ctx, hx(merchant), 0); len(conf) != 1 || conf[0].TxHash != txh(pay) {
		t.Fatalf("merchant history before the reorg: %v", conf)
	}
	n := len(events)
	chain.set(b, unconf)
	settle(t, ix)
	// A further step with nothing new sends nothing.
	if _, err := ix.step(ctx); err != nil {
		t.Fatal(err)
	}
	after := events[n:]
	if len(after) != 1 {
		for _, s := range after {
			t.Logf("event height %d reorg %v mempool %v", s.ev.Height, s.ev.Reorg, s.ev.Mempool)
		}
		t.Fatalf("%d events for the reorg, want 1", len(after))
	}
	s := after[0]
	final := sdk.Hash(b[5].BlockHash())
	if !s.ev.Reorg || s.ev.Height != 5 || s.ev.TipHash != final || s.tip != 5 {
		t.Errorf("event reorg=%v height %d (index tip %d), want the final tip 5", s.ev.Reorg, s.ev.Height, s.tip)
	}
	for name, script := range map[string][]byte{"merchant": merchant, "thief": thief} {
		if _, ok := s.ev.Touched[hx(script)]; !ok {
			t.Errorf("%s not in the event's touched set", name)
		}
	}
	if len(s.merchant) != 0 {
		t.Errorf("merchant's confirmed history at the event: %v, want none (payment replaced)", s.merchant)
	}
	if len(s.merchantMempol) != 1 || s.merchantMempol[0].TxHash != txh(unconf) {
		t.Errorf("merchant's mempool at the event: %v, want the unconfirmed payment (mempool rebuilt)", s.merchantMempol)
	}
	if len(s.thf) != 1 || s.thf[0] != (Confirmed{TxHash: txh(ds), Height: 4}) {
		t.Errorf("thief's history at the event: %v, want the double spend at 4", s.thf)
	}
}

// TestForceReorgNotifiedAfterReapply: an admin reorg sends no event for
// the lowered tip; the re-applied tip is notified once, as a reorg, before
// ForceReorg returns.
func TestForceReorgNotifiedAfterReapply(t *testing.T) {
	blocks := genChain([]*wire.MsgBlock{genesisBlock()}, 8, 5, 1)
	chain := &fakeChain{}
	chain.set(blocks)
	var events []Event
	ix := newTestIndex(t, chain, nil, func(o *Options) { o.Notify = func(e Event) { events = append(events, e) } })
	settle(t, ix)
	n := len(events)
	if err := ix.ForceReorg(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	after := events[n:]
	if len(after) != 1 || !after[0].Reorg || after[0].Height != 8 {
		t.Fatalf("events after the admin reorg: %+v, want one reorg event at 8", after)
	}
	settle(t, ix)
	after = events[n:]
	if len(after) != 1 || !after[0].Reorg || after[0].Height != 8 {
		t.Fatalf("events after the admin reorg: %+v, want one reorg event at 8", after)
	}
}

// TestSyncMeter pins the pace arithmetic with explicit times.
func TestSyncMeter(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var m syncMeter
	if p := m.progress(t0, 0, 100); p.TxRate != 0 || p.ETA != 0 || p.Percent != 0 {
		t.Errorf("empty meter: %+v", p)
	}
	m.add(t0, 100, 1_000)
	m.add(t0.Add(10*time.Second), 200, 51_000)
	p := m.progress(t0.Add(10*time.Second), 200, 1_000)
	want := SyncProgress{TxRate: 5_000, BlockRate: 10, Percent: 20, ETA: 80 * time.Second}
	if p != want {
		t.Errorf("progress = %+v, want %+v", p, want)
	}
	// No commit for another 10 s: the rates halve.
	if p := m.progress(t0.Add(20*time.Second), 200, 1_000); p.BlockRate != 5 || p.ETA != 160*time.Second {
		t.Errorf("stalled progress = %+v", p)
	}
	// Samples older than the window are dropped; the last one at or
	// before the window's start (t0+10 s here) is kept as the base.
	m.add(t0.Add(100*time.Second), 300, 61_000)
	m.add(t0.Add(110*time.Second), 400, 71_000)
	if n := len(m.samples); n != 3 {
		t.Errorf("%d samples kept, want 3", n)
	}
	if p := m.progress(t0.Add(110*time.Second), 400, 400); p.BlockRate != 2 || p.TxRate != 200 || p.Percent != 100 || p.ETA != 0 {
		t.Errorf("windowed progress = %+v", p)
	}
}

// TestSyncProgressLog: during the initial sync a progress line with
// height, rates, percent and ETA is logged every ProgressInterval (clock
// injected: each reading advances it by a second).
func TestSyncProgressLog(t *testing.T) {
	blocks := genSyncChain(12, 3, 5, 2)
	chain := &fakeChain{}
	chain.set(blocks)
	var buf bytes.Buffer
	ix := newTestIndex(t, chain, nil, func(o *Options) {
		o.BatchBlocks = 1
		o.ProgressInterval = 3 * time.Second
		o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	clock := time.Unix(1_700_000_000, 0)
	ix.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	settle(t, ix)
	lines := 0
	for _, l := range strings.Split(buf.String(), "\n") {
		if !strings.Contains(l, "msg=\"index sync\"") {
			continue
		}
		lines++
		for _, k := range []string{"height=", "daemon_height=12", "percent=", "tx_per_s=", "blocks_per_s=", "eta=", "tx_count="} {
			if !strings.Contains(l, k) {
				t.Errorf("progress line lacks %s: %s", k, l)
			}
		}
	}
	if lines < 2 {
		t.Errorf("%d progress lines for 13 commits at one per 3 s: %s", lines, buf.String())
	}
	if st := ix.Status(); st.Sync.Percent != 100 || st.Sync.TxRate <= 0 {
		t.Errorf("status after sync: %+v", st.Sync)
	}
}
