package hostsvc

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// probe is a method-provider plugin whose method calls the host during
// the call; tests also use its Host (the plugin side of the broker).
type probe struct{ sdk.BasicPlugin }

func (p *probe) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{{Name: "probe.tip"}}, nil
}

func (p *probe) Call(ctx context.Context, _ string, _ json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	tip, err := p.Host().Tip(ctx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"height": tip.Height, "hash": tip.Hash.String()})
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wireHost serves srv to a probe plugin over the real wire (broker
// included) and returns the probe's plugin-side Host and the host-side
// adapter.
func wireHost(t *testing.T, srv *Server) (sdk.Host, *hostside.MethodsClient) {
	t.Helper()
	p := &probe{BasicPlugin: sdk.BasicPlugin{Name: "probe", Version: "1"}}
	c := sdktest.NewPlugin(t, p).Methods
	if err := c.WithHost(srv).Configure(ctx10(t), []byte("{}")); err != nil {
		t.Fatalf("configure: %v", err)
	}
	if p.Host() == nil {
		t.Fatal("the plugin did not receive the host")
	}
	return p.Host(), c
}

// TestMethodCallUsesHost: a plugin method answers from the host's index
// through the broker during the call.
func TestMethodCallUsesHost(t *testing.T) {
	ix := newFakeIndex(7)
	_, c := wireHost(t, New(Options{Index: ix}))
	res, err := c.Call(ctx10(t), "probe.tip", json.RawMessage("[]"), sdk.SessionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	_, hash, _ := ix.Tip()
	want := fmt.Sprintf(`{"hash":"%s","height":6}`, hash)
	if string(res) != want {
		t.Errorf("probe.tip = %s, want %s", res, want)
	}
}

func TestHeaders(t *testing.T) {
	ix := newFakeIndex(3000)
	h, _ := wireHost(t, New(Options{Index: ix}))
	tests := []struct {
		start      int64
		count      int
		want       int
		wantErrSub string
	}{
		{0, 3, 3, ""},
		{2990, 100, 10, ""},
		{0, 5000, sdk.MaxHostHeaders, ""},
		{3000, 1, 0, ""},
		{5, 0, 0, ""},
		{-1, 1, 0, "start height -1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d+%d", tt.start, tt.count), func(t *testing.T) {
			hs, err := h.Headers(ctx10(t), tt.start, tt.count)
			if tt.wantErrSub != "" {
				if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Fatalf("Headers = %v, want invalid-argument %q", err, tt.wantErrSub)
				}
				return
			}
			if err != nil || len(hs) != tt.want {
				t.Fatalf("Headers = %d headers, %v; want %d", len(hs), err, tt.want)
			}
			for i, hdr := range hs {
				if string(hdr) != string(ix.headers[tt.start+int64(i)]) {
					t.Fatalf("header %d differs from the index", tt.start+int64(i))
				}
			}
		})
	}
}

func TestTipUnspentMerkle(t *testing.T) {
	ix := newFakeIndex(5)
	sh := sdk.ScriptHashOf([]byte{0x51})
	utxos := []index.UTXO{{TxHash: h256(1), TxPos: 0, Height: 2, Value: 100}, {TxHash: h256(2), TxPos: 3, Height: 0, Value: 7}}
	ix.utxos[hashX(sh)] = utxos
	txids := []sdk.Hash{h256(10), h256(11), h256(12), h256(13), h256(14)}
	ix.blocks[4] = txids
	h, _ := wireHost(t, New(Options{Index: ix}))

	tip, err := h.Tip(ctx10(t))
	height, hash, header := ix.Tip()
	if err != nil || tip.Height != height || tip.Hash != hash || string(tip.Header) != string(header) {
		t.Errorf("Tip = %+v, %v; want %d %s", tip, err, height, hash)
	}

	us, err := h.Unspent(ctx10(t), sh)
	if err != nil || len(us) != 2 || us[1] != (sdk.UTXO{TxHash: h256(2), TxPos: 3, Height: 0, Value: 7}) {
		t.Errorf("Unspent = %+v, %v", us, err)
	}
	if us, err := h.Unspent(ctx10(t), sdk.ScriptHashOf([]byte{0x52})); err != nil || len(us) != 0 {
		t.Errorf("Unspent(other) = %+v, %v; want none", us, err)
	}

	for pos, txid := range txids {
		m, err := h.TxMerkle(ctx10(t), txid, 4)
		if err != nil || m.Pos != pos || merkle.Fold(txid, m.Branch, pos) != m.Root || m.Root != merkle.Root(txids) {
			t.Errorf("TxMerkle(%d) = %+v, %v: want pos %d and a branch to the block root", pos, m, err, pos)
		}
	}
	errTests := []struct {
		txid   sdk.Hash
		height int64
		kind   sdk.Kind
	}{
		{h256(99), 4, sdk.KindNotFound},
		{txids[0], 3, sdk.KindNotFound},
		{txids[0], -1, sdk.KindInvalidArgument},
	}
	for _, tt := range errTests {
		if _, err := h.TxMerkle(ctx10(t), tt.txid, tt.height); sdk.KindOf(err) != tt.kind {
			t.Errorf("TxMerkle(%s, %d) = %v, want kind %v", tt.txid, tt.height, err, tt.kind)
		}
	}
}

// TestTipEmptyIndex: before genesis the host says so.
func TestTipEmptyIndex(t *testing.T) {
	_, err := New(Options{Index: newFakeIndex(0)}).Tip(t.Context())
	if sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("Tip = %v, want unavailable", err)
	}
}

// TestEvents: the stream starts at the tip, follows new blocks, ignores
// mempool rounds, coalesces what a slow consumer missed (keeping the reorg
// flag), and ends on Close.
func TestEvents(t *testing.T) {
	ix := newFakeIndex(2)
	srv := New(Options{Index: ix})
	h, _ := wireHost(t, srv)

	got := make(chan sdk.BlockEvent)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		n := 0
		done <- h.Events(ctx10(t), func(ev sdk.BlockEvent) error {
			got <- ev
			if n++; n == 2 {
				<-release // be slow while three more events arrive
			}
			return nil
		})
	}()
	if ev := <-got; ev.Height != 1 {
		t.Fatalf("first event at height %d, want the tip 1", ev.Height)
	}
	waitSubscribers(t, srv, 1)

	e2 := ix.addBlock()
	srv.Publish(e2)
	srv.Publish(index.Event{Height: e2.Height, TipHash: e2.TipHash, Header: e2.Header, Mempool: true})
	if ev := <-got; ev.Height != 2 || ev.Hash != e2.TipHash || ev.Reorg {
		t.Fatalf("second event = %+v, want height 2", ev)
	}
	e3 := ix.addBlock()
	e3.Reorg = true
	srv.Publish(e3)
	srv.Publish(ix.addBlock())
	e5 := ix.addBlock()
	srv.Publish(e5)
	close(release)
	if ev := <-got; ev.Height != 5 || ev.Hash != e5.TipHash || !ev.Reorg {
		t.Fatalf("after a slow consumer: %+v, want the newest tip 5 with the reorg flag", ev)
	}
	srv.Close()
	if err := <-done; sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("Events after Close = %v, want unavailable", err)
	}
	waitSubscribers(t, srv, 0)
}

// TestEventsCancel: cancelling the plugin's call releases the host side.
func TestEventsCancel(t *testing.T) {
	srv := New(Options{Index: newFakeIndex(1)})
	h, _ := wireHost(t, srv)
	ctx, cancel := context.WithCancel(ctx10(t))
	done := make(chan error, 1)
	go func() { done <- h.Events(ctx, func(sdk.BlockEvent) error { return nil }) }()
	waitSubscribers(t, srv, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Events = %v, want context.Canceled", err)
	}
	waitSubscribers(t, srv, 0)
}

func waitSubscribers(t *testing.T, srv *Server, n int) {
	t.Helper()
	for srv.Subscribers() != n {
		select {
		case <-t.Context().Done():
			t.Fatalf("subscribers = %d, want %d", srv.Subscribers(), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// pageAll reads a whole history with pages of limit.
func pageAll(t *testing.T, h sdk.Host, sh sdk.Hash, limit int) (entries []sdk.HistoryEntry, pages int) {
	t.Helper()
	for cur := ""; ; pages++ {
		es, next, err := h.History(ctx10(t), sh, cur, limit)
		if err != nil {
			t.Fatalf("History(cursor %q): %v", cur, err)
		}
		if lim := cmp.Or(max(limit, 0), sdk.DefaultHistoryPage); len(es) > lim {
			t.Fatalf("page of %d entries for limit %d", len(es), limit)
		}
		entries = append(entries, es...)
		if next == "" {
			return entries, pages + 1
		}
		cur = next
	}
}
