package electrum

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/sdk"
)

func eventOf(h int64, hash sdk.Hash, hdr []byte, touched ...index.HashX) index.Event {
	ev := index.Event{Height: h, TipHash: hash, Header: hdr, Touched: map[index.HashX]struct{}{}}
	for _, hx := range touched {
		ev.Touched[hx] = struct{}{}
	}
	return ev
}

// touchEvent is a mempool-style event: same tip, some hashXs touched.
func touchEvent(ix *fakeIndex, touched ...index.HashX) index.Event {
	h, hash, hdr := ix.Tip()
	return eventOf(h, hash, hdr, touched...)
}

func reorgEvent(ix *fakeIndex) index.Event {
	ev := touchEvent(ix)
	ev.Reorg = true
	return ev
}

func TestNotifyHeaders(t *testing.T) {
	srv, ix, _ := newFixture(t)
	sub, other := &fakeSess{id: 1}, &fakeSess{id: 2}
	handlerOf(srv, sub)
	handlerOf(srv, other)
	do(t, srv, sub, "blockchain.headers.subscribe", `[]`)
	srv.HandleEvent(touchEvent(ix))
	if n := sub.takeNotes(); len(n) != 0 {
		t.Fatalf("unchanged tip notified: %v", n)
	}
	h, hash, hdr := ix.addBlock(7)
	srv.HandleEvent(eventOf(h, hash, hdr))
	want := fmt.Sprintf(`blockchain.headers.subscribe [{"hex":"%x","height":9}]`, hdr)
	if n := sub.takeNotes(); len(n) != 1 || n[0] != want {
		t.Fatalf("notes %v, want %s", n, want)
	}
	if n := other.takeNotes(); len(n) != 0 {
		t.Fatalf("non-subscriber notified: %v", n)
	}
	// A same-height reorg changes the tip hash: notified (Go recommendation).
	ix.headers = ix.headers[:9]
	h2, hash2, hdr2 := ix.addBlock(8)
	if h2 != h || hash2 == hash {
		t.Fatal("fixture: want a different block at the same height")
	}
	srv.HandleEvent(eventOf(h2, hash2, hdr2))
	if n := sub.takeNotes(); len(n) != 1 || !strings.Contains(n[0], fmt.Sprintf("%x", hdr2)) {
		t.Fatalf("same-height reorg: notes %v", n)
	}
	if res, _ := do(t, srv, other, "blockchain.headers.subscribe", `[]`); !strings.Contains(res, fmt.Sprintf("%x", hdr2)) {
		t.Errorf("headers.subscribe does not return the notified tip: %s", res)
	}
}

func TestNotifyScripthash(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	first, _ := do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	srv.HandleEvent(touchEvent(ix, hxA))
	if n := s.takeNotes(); len(n) != 0 {
		t.Fatalf("unchanged status notified: %v", n)
	}
	ix.setHistory(hxA, append(ix.conf[hxA], index.Confirmed{TxHash: rep(0xee), Height: 3}), ix.mem[hxA])
	srv.HandleEvent(touchEvent(ix, hxBig)) // hxA not touched: nothing
	if n := s.takeNotes(); len(n) != 0 {
		t.Fatalf("untouched hashX notified: %v", n)
	}
	srv.HandleEvent(touchEvent(ix, hxA))
	n := s.takeNotes()
	if len(n) != 1 || !strings.HasPrefix(n[0], `blockchain.scripthash.subscribe ["`+shA+`","`) || strings.Contains(n[0], strings.Trim(first, `"`)) {
		t.Fatalf("changed status: notes %v (old status %s)", n, first)
	}
	// the notified status equals what a fresh subscribe computes (cache evicted)
	again, _ := do(t, srv, &fakeSess{}, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	if !strings.Contains(n[0], again) {
		t.Errorf("notified %s, fresh status %s", n[0], again)
	}
}

func TestNotifyEchoesScripthashAsSent(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	upper := strings.ToUpper(shA)
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(upper)+`]`)
	ix.setHistory(hxA, nil, nil)
	srv.HandleEvent(touchEvent(ix, hxA))
	if n := s.takeNotes(); len(n) != 1 || n[0] != `blockchain.scripthash.subscribe ["`+upper+`",null]` {
		t.Fatalf("notes %v", n)
	}
}

func TestNotifyMempoolDependentFlip(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shMem)+`]`)
	// The parent confirms: the entry flips from -1 to 0 without hxMem being touched.
	ix.setHistory(hxMem, nil, []index.MempoolEntry{{TxHash: rep(0x44), Height: 0, Fee: 10}})
	srv.HandleEvent(touchEvent(ix)) // same tip: not rechecked
	if n := s.takeNotes(); len(n) != 0 {
		t.Fatalf("same tip: notes %v", n)
	}
	srv.HandleEvent(eventOf(ix.addBlock(3)))
	n := s.takeNotes()
	want := Status(nil, []index.MempoolEntry{{TxHash: rep(0x44), Height: 0}})
	if len(n) != 1 || n[0] != `blockchain.scripthash.subscribe ["`+shMem+`","`+*want+`"]` {
		t.Fatalf("flip: notes %v", n)
	}
	// A confirmed-only status is not rechecked on a new block.
	s2 := &fakeSess{}
	do(t, srv, s2, "blockchain.scripthash.subscribe", `[`+q(shBig)+`]`) // too large: not stored
	do(t, srv, s2, "blockchain.scripthash.subscribe", `[`+q(shNone)+`]`)
	calls := ix.historyCalls
	srv.HandleEvent(eventOf(ix.addBlock(4)))
	if ix.historyCalls != calls || len(s2.takeNotes()) != 0 {
		t.Errorf("confirmed-only subscription rechecked on new block")
	}
}

func TestNotifyTooLargeDropsSubscription(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	ix.setHistory(hxA, ix.conf[hxBig], nil)
	srv.HandleEvent(touchEvent(ix, hxA))
	if n := s.takeNotes(); len(n) != 1 || n[0] != `blockchain.scripthash.subscribe ["`+shA+`",null]` {
		t.Fatalf("notes %v", n)
	}
	if n := handlerOf(srv, s).Info().Subscriptions; n != 0 {
		t.Fatalf("subscription kept")
	}
	srv.HandleEvent(touchEvent(ix, hxA))
	if n := s.takeNotes(); len(n) != 0 {
		t.Fatalf("dropped subscription notified again: %v", n)
	}
}

func TestHistoryCacheEvictionAndReorg(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	get := func() string { r, _ := do(t, srv, s, "blockchain.scripthash.get_history", `[`+q(shA)+`]`); return r }
	before := get()
	get()
	if ix.historyCalls != 1 {
		t.Fatalf("history not cached: %d calls", ix.historyCalls)
	}
	ix.setHistory(hxA, ix.conf[hxA][:1], ix.mem[hxA])
	srv.HandleEvent(touchEvent(ix, hxBig))
	if get() != before {
		t.Fatalf("untouched hashX evicted")
	}
	srv.HandleEvent(touchEvent(ix, hxA))
	after := get()
	if after == before || ix.historyCalls != 2 {
		t.Fatalf("touched hashX not evicted (calls %d)", ix.historyCalls)
	}
	ix.setHistory(hxA, nil, nil)
	srv.HandleEvent(reorgEvent(ix))
	if got := get(); got != "[]" {
		t.Fatalf("reorg did not clear the history cache: %s", got)
	}
}

func TestNotifyClosedAndFailingSessions(t *testing.T) {
	srv, ix, _ := newFixture(t)
	bad, good, gone := &fakeSess{id: 1, failNotify: true}, &fakeSess{id: 2}, &fakeSess{id: 3}
	for _, s := range []*fakeSess{bad, good, gone} {
		do(t, srv, s, "blockchain.headers.subscribe", `[]`)
		do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	}
	handlerOf(srv, gone).Closed()
	ix.setHistory(hxA, nil, nil)
	h, hash, hdr := ix.addBlock(5)
	srv.HandleEvent(eventOf(h, hash, hdr, hxA))
	if n := good.takeNotes(); len(n) != 2 {
		t.Fatalf("good session: %v", n)
	}
	if n := gone.takeNotes(); len(n) != 0 {
		t.Fatalf("closed session notified: %v", n)
	}
}

// TestNotifyManySessions exercises the bounded concurrent fan-out (run
// with -race).
func TestNotifyManySessions(t *testing.T) {
	srv, ix, _ := newFixture(t)
	srv.opts.NotifyConcurrency = 4
	ss := make([]*fakeSess, 50)
	for i := range ss {
		ss[i] = &fakeSess{id: uint64(i)}
		do(t, srv, ss[i], "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	}
	ix.setHistory(hxA, nil, []index.MempoolEntry{{TxHash: rep(1)}})
	srv.HandleEvent(touchEvent(ix, hxA))
	for i, s := range ss {
		if n := s.takeNotes(); len(n) != 1 {
			t.Fatalf("session %d: %v", i, n)
		}
	}
}

func TestNotifierAsync(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	do(t, srv, s, "blockchain.headers.subscribe", `[]`)
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	notify := srv.Notifier(t.Context())
	ix.setHistory(hxA, nil, nil)
	notify(touchEvent(ix, hxA))
	notify(eventOf(ix.addBlock(9)))
	// the cache eviction is synchronous: a request right after sees new data
	if res, _ := do(t, srv, &fakeSess{}, "blockchain.scripthash.get_history", `[`+q(shA)+`]`); res != "[]" {
		t.Fatalf("history cache not evicted synchronously: %s", res)
	}
	var notes []string
	for i := 0; i < 500 && len(notes) < 2; i++ {
		notes = append(notes, s.takeNotes()...)
		time.Sleep(10 * time.Millisecond)
	}
	if len(notes) != 2 {
		t.Fatalf("notes %v", notes)
	}
	sort.Strings(notes)
	if !strings.HasPrefix(notes[0], "blockchain.headers.subscribe") || notes[1] != `blockchain.scripthash.subscribe ["`+shA+`",null]` {
		t.Fatalf("notes %v", notes)
	}
}

func TestReorgResetsHeaderProofs(t *testing.T) {
	srv, ix, _ := newFixture(t)
	for ix.headers = ix.headers[:1]; len(ix.headers) < 2100; {
		ix.addBlock(1)
	}
	srv.HandleEvent(eventOf(ix.Tip()))
	s := &fakeSess{}
	before, _ := do(t, srv, s, "blockchain.block.header", `[1, 2099]`)
	ix.headers = ix.headers[:2000] // replace blocks 2000.. (inside the cached chunk 1024..2047)
	for len(ix.headers) < 2100 {
		ix.addBlock(2)
	}
	srv.HandleEvent(reorgEvent(ix))
	after, _ := do(t, srv, s, "blockchain.block.header", `[1, 2099]`)
	hashes, _ := ix.BlockHashes(t.Context(), 0, 2100)
	_, root, _ := merkle.HeaderProof(hashes, 1)
	if before == after || !strings.Contains(after, root.String()) {
		t.Fatalf("stale checkpoint proof after reorg:\n%s", after)
	}
}

func TestNoDaemon(t *testing.T) {
	srv := New(Options{Index: &fakeIndex{headers: [][]byte{make([]byte, 80)}}})
	_, jerr := do(t, srv, &fakeSess{}, "blockchain.relayfee", `[]`)
	if jerr == nil || jerr.Code != 2 || jerr.Message != "daemon error: no daemon configured" {
		t.Fatalf("%+v", jerr)
	}
}

// TestTipBeforeFirstEvent: while catching up the index sends no events, so
// the tip is read live; after the first event it is the notified tip.
func TestTipBeforeFirstEvent(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	ix.addBlock(1)
	if res, _ := do(t, srv, s, "blockchain.headers.subscribe", `[]`); !strings.Contains(res, `"height":9`) {
		t.Fatalf("before any event: %s", res)
	}
	srv.HandleEvent(eventOf(ix.Tip()))
	if n := s.takeNotes(); len(n) != 0 {
		t.Fatalf("subscriber already has this tip: %v", n)
	}
	ix.addBlock(2) // no event yet
	if res, _ := do(t, srv, s, "blockchain.headers.subscribe", `[]`); !strings.Contains(res, `"height":9`) {
		t.Fatalf("after an event the notified tip is served: %s", res)
	}
}
