package index

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// queryDump is every answer the index gives for the scripts of scriptPool.
func queryDump(t *testing.T, ix *Index) map[string]any {
	t.Helper()
	ctx := context.Background()
	d := map[string]any{}
	for _, s := range scriptPool {
		conf, mem, err := ix.History(ctx, hx(s), 0)
		c, u, n, err2 := ix.Balance(ctx, hx(s))
		utxos, nb, err3 := ix.ListUnspent(ctx, hx(s))
		d[string(s)] = []any{conf, mem, err, c, u, n, err2, utxos, nb, err3}
	}
	h, hash, hdr := ix.Tip()
	d["tip"] = []any{h, hash, hdr, ix.Status().TxCount}
	return d
}

func TestReorgEqualsFreshSync(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 12, 1, 1)
	cases := []struct {
		name       string
		fork, more int // branch B = a[:fork+1] + more blocks
	}{
		{"one block same height", 11, 1},
		{"longer branch", 6, 9},
		{"shorter branch", 8, 2},
		{"deep", 1, 12},
	}
	for _, engine := range testEngines {
		for _, c := range cases {
			t.Run(engine+"/"+c.name, func(t *testing.T) { testReorgEqualsFreshSync(t, engine, a, c.fork, c.more) })
		}
	}
}

func testReorgEqualsFreshSync(t *testing.T, engine string, a []*wire.MsgBlock, fork, more int) {
	b := genChain(a[:fork+1], more, int64(100+fork), 2)
	chain := &fakeChain{}
	chain.set(a)
	var events []Event
	ix := newTestIndex(t, chain, openTestStore(t, engine), func(o *Options) { o.Notify = func(e Event) { events = append(events, e) } })
	settle(t, ix)
	nA := len(events)
	chain.set(b)
	settle(t, ix)

	freshChain := &fakeChain{}
	freshChain.set(b)
	fresh := newTestIndex(t, freshChain, nil, nil)
	settle(t, fresh)
	if got, want := dumpStore(t, ix.st), dumpStore(t, fresh.st); !reflect.DeepEqual(got, want) {
		t.Fatalf("store after reorg differs from fresh sync:\n%s\nvs\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := queryDump(t, ix), queryDump(t, fresh); !reflect.DeepEqual(got, want) {
		t.Errorf("queries after reorg differ from fresh sync")
	}
	if ix.Status().Reorgs != 1 {
		t.Errorf("reorgs = %d", ix.Status().Reorgs)
	}
	// The reorg is notified once, for its final state: no event
	// at the fork point or for the new branch's blocks one by one.
	after := events[nA:]
	if len(after) != 1 {
		t.Fatalf("%d events after the switch, want 1: %+v", len(after), after)
	}
	e := after[0]
	if !e.Reorg || e.Height != int64(len(b)-1) || e.TipHash != txBlockHash(b[len(b)-1]) || len(e.Touched) == 0 {
		t.Errorf("reorg event reorg=%v height %d touched %d, want the final tip %d", e.Reorg, e.Height, len(e.Touched), len(b)-1)
	}
}

func txBlockHash(b *wire.MsgBlock) [32]byte { return b.BlockHash() }

func TestReorgDeeperThanLimit(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 8, 3, 1)
	chain := &fakeChain{}
	chain.set(a)
	ix := newTestIndex(t, chain, nil, func(o *Options) { o.ReorgLimit = 3 })
	settle(t, ix)
	before := dumpStore(t, ix.st)
	undo := 0
	for _, kv := range before {
		if kv[:2] == "52" { // 'R'
			undo++
		}
	}
	if undo != 3 {
		t.Errorf("%d undo records kept, want 3", undo)
	}
	ctx := context.Background()
	if err := ix.ForceReorg(ctx, 4); err == nil {
		t.Error("ForceReorg(4) with limit 3 succeeded")
	}
	if !reflect.DeepEqual(dumpStore(t, ix.st), before) {
		t.Fatal("refused ForceReorg changed the store")
	}
	// A daemon reorg of 4 blocks halts following, leaving the state intact.
	chain.set(genChain(a[:5], 5, 9, 2))
	settle(t, ix)
	st := ix.Status()
	if !st.Halted || !strings.Contains(st.Error, "REORG_LIMIT") {
		t.Errorf("status after deep reorg = %+v", st)
	}
	if !reflect.DeepEqual(dumpStore(t, ix.st), before) {
		t.Fatal("refused reorg changed the store")
	}
}

func TestForceReorgReapplies(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 6, 4, 1)
	chain := &fakeChain{}
	chain.set(a)
	ix := newTestIndex(t, chain, nil, nil)
	settle(t, ix)
	before := dumpStore(t, ix.st)
	if err := ix.ForceReorg(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	// ForceReorg re-applies the daemon's chain before it returns.
	if h, _, _ := ix.Tip(); h != 6 || ix.Status().Reorgs != 1 {
		t.Fatalf("height after ForceReorg(3) = %d, reorgs %d; want 6 (re-applied), 1", h, ix.Status().Reorgs)
	}
	settle(t, ix)
	if !reflect.DeepEqual(dumpStore(t, ix.st), before) {
		t.Fatal("store after ForceReorg + resync differs")
	}
}

func TestDaemonBehindIsNotAReorg(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 6, 6, 1)
	chain := &fakeChain{}
	chain.set(a)
	ix := newTestIndex(t, chain, nil, func(o *Options) { o.PrefetchBytes = 1 })
	settle(t, ix)
	before := dumpStore(t, ix.st)
	chain.set(a[:4])
	for i := 0; i < 5; i++ {
		if _, err := ix.step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if st := ix.Status(); st.DBHeight != 6 || st.Reorgs != 0 || st.Halted {
		t.Errorf("status with daemon behind = %+v", st)
	}
	if !reflect.DeepEqual(dumpStore(t, ix.st), before) {
		t.Error("store changed while the daemon was behind")
	}
}

func TestLowerReorgLimitPrunesOnOpen(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 8, 8, 1)
	chain := &fakeChain{}
	chain.set(a)
	ix := newTestIndex(t, chain, nil, nil)
	settle(t, ix)
	ix2 := newTestIndex(t, chain, ix.st, func(o *Options) { o.ReorgLimit = 2 })
	undo := 0
	for _, kv := range dumpStore(t, ix2.st) {
		if kv[:2] == "52" {
			undo++
		}
	}
	if undo != 2 {
		t.Errorf("%d undo records after reopening with limit 2", undo)
	}
}
