package index

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

func TestMempool(t *testing.T) {
	ctx := context.Background()
	A, B, D, E, F, G, H := p2pkh(0xa1), p2wpkh(0xb1), p2pkh(0xd1), p2wpkh(0xe1), p2pkh(0xf1), p2pkh(0x61), p2pkh(0x71)
	g := genesisBlock()
	cb1 := coinbase(1, 0, out{A, 50e8}, out{G, 10e8})
	b1 := mkBlock(g, 1, 0, cb1)
	cb2 := coinbase(2, 0, out{B, 50e8})
	b2 := mkBlock(b1, 2, 0, cb2)
	m1 := spend([]wire.OutPoint{op(cb1, 0)}, false, out{D, 20e8}, out{A, 29e8})
	m2 := spend([]wire.OutPoint{op(m1, 0)}, false, out{E, 19.9e8}, out{opReturn, 0})
	m3 := spend([]wire.OutPoint{op(cb2, 0)}, true, out{F, 49e8})
	m4 := spend([]wire.OutPoint{op(cb1, 1)}, false, out{D, 9e8})
	orphan := spend([]wire.OutPoint{{Index: 3}}, false, out{D, 1})

	chain := &fakeChain{}
	chain.set([]*wire.MsgBlock{g, b1, b2}, m2, m1, m3, m4, orphan)
	var events []Event
	ix := newTestIndex(t, chain, nil, func(o *Options) {
		o.Notify = func(e Event) { events = append(events, e) }
		o.HistogramBinSize = 100
	})
	settle(t, ix)

	first := sortedHashes(txh(m1), txh(m4))
	wantD := []MempoolEntry{{first[0], 0, 1e8}, {first[1], 0, 1e8}, {txh(m2), -1, 0.1e8}}
	if got := ix.MempoolHistory(hx(D)); !reflect.DeepEqual(got, wantD) {
		t.Errorf("MempoolHistory(D) = %v, want %v", got, wantD)
	}
	if conf, mem, err := ix.History(ctx, hx(D), 0); err != nil || len(conf) != 0 || !reflect.DeepEqual(mem, wantD) {
		t.Errorf("History(D) = %v %v %v", conf, mem, err)
	}
	if st := ix.Status(); st.MempoolTxs != 4 || st.MempoolBytes <= 0 {
		t.Errorf("status = %+v", st)
	}
	balCases := []struct {
		name      string
		script    []byte
		conf, unc int64
		n         int
		utxos     []UTXO
		nBefore   int
	}{
		{"A: confirmed output spent by mempool, change back", A, 50e8, 29e8 - 50e8, 1, []UTXO{{txh(m1), 1, 0, 29e8}}, 2},
		{"D: two mempool outputs, one spent by a child", D, 0, 20e8 + 9e8 - 20e8, 0, []UTXO{{txh(m4), 0, 0, 9e8}}, 2},
		{"E: chained unconfirmed", E, 0, 19.9e8, 0, []UTXO{{txh(m2), 0, 0, 19.9e8}}, 1},
		{"B: spent by segwit mempool tx", B, 50e8, -50e8, 1, []UTXO{}, 1},
	}
	for _, c := range balCases {
		conf, unc, n, err := ix.Balance(ctx, hx(c.script))
		if err != nil || conf != c.conf || unc != c.unc || n != c.n {
			t.Errorf("Balance(%s) = %d %d %d %v, want %d %d %d", c.name, conf, unc, n, err, c.conf, c.unc, c.n)
		}
		utxos, nb, err := ix.ListUnspent(ctx, hx(c.script))
		if err != nil || nb != c.nBefore || !reflect.DeepEqual(utxos, c.utxos) {
			t.Errorf("ListUnspent(%s) = %v %d %v, want %v %d", c.name, utxos, nb, err, c.utxos, c.nBefore)
		}
	}
	if mem := ix.MempoolHistory(hx(opReturn)); len(mem) != 0 {
		t.Errorf("OP_RETURN output indexed in mempool: %v", mem)
	}
	if len(events) == 0 || !events[len(events)-1].Mempool {
		t.Fatalf("no mempool event: %v", events)
	}
	if _, ok := events[len(events)-1].Touched[hx(D)]; !ok {
		t.Error("mempool event does not touch D")
	}
	// True vsize of the segwit tx: ceil(weight/4).
	w := blockchain.GetTransactionWeight(btcutil.NewTx(m3))
	ix.mp.mu.RLock()
	if got := ix.mp.txs[txh(m3)].vsize; got != (w+3)/4 || got >= int64(m3.SerializeSize()) {
		t.Errorf("vsize(m3) = %d, weight %d, size %d", got, w, m3.SerializeSize())
	}
	ix.mp.mu.RUnlock()

	// Block 3 confirms m1 and double-spends m3's input. Before any mempool
	// round, m1 must leave the mempool and m3 must be gone.
	c3 := spend([]wire.OutPoint{op(cb2, 0)}, false, out{H, 49.5e8})
	b3 := mkBlock(b2, 3, 0, coinbase(3, 0, out{A, 1}), m1, c3)
	chain.set([]*wire.MsgBlock{g, b1, b2, b3}, m2, m3, m4)
	if _, err := ix.step(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := ix.Tip(); h != 3 {
		t.Fatalf("height = %d", h)
	}
	conf, mem, err := ix.History(ctx, hx(D), 0)
	wantD = []MempoolEntry{{first[0], 0, 1e8}, {first[1], 0, 1e8}}
	for i, e := range wantD {
		if e.TxHash == txh(m1) {
			wantD[i] = MempoolEntry{txh(m2), 0, 0.1e8} // parent confirmed: -1 becomes 0
		}
	}
	wantD = sortEntries(wantD)
	if err != nil || !reflect.DeepEqual(conf, []Confirmed{{txh(m1), 3}}) || !reflect.DeepEqual(mem, wantD) {
		t.Errorf("History(D) after block = %v %v %v, want mempool %v", conf, mem, err, wantD)
	}
	if mem := ix.MempoolHistory(hx(F)); len(mem) != 0 {
		t.Errorf("conflicting tx still in mempool: %v", mem)
	}
	// Next round: the stale m3 in the daemon's list cannot resolve; m4 leaves.
	chain.set([]*wire.MsgBlock{g, b1, b2, b3}, m2, m3)
	settle(t, ix)
	if got := ix.MempoolHistory(hx(D)); !reflect.DeepEqual(got, []MempoolEntry{{txh(m2), 0, 0.1e8}}) {
		t.Errorf("MempoolHistory(D) after removal = %v", got)
	}
	if ix.Status().MempoolTxs != 1 {
		t.Errorf("mempool txs = %d", ix.Status().MempoolTxs)
	}
}

func sortEntries(e []MempoolEntry) []MempoolEntry {
	hs := make([]sdk.Hash, len(e))
	for i := range e {
		hs[i] = e[i].TxHash
	}
	hs = sortedHashes(hs...)
	out := make([]MempoolEntry, 0, len(e))
	for _, h := range hs {
		for _, x := range e {
			if x.TxHash == h {
				out = append(out, x)
			}
		}
	}
	return out
}

func TestRunSyncsAndRetries(t *testing.T) {
	a := genChain([]*wire.MsgBlock{genesisBlock()}, 5, 7, 1)
	chain := &fakeChain{}
	chain.set(a)
	chain.tipErr = errors.New("daemon down")
	ix := newTestIndex(t, chain, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	for ix.Status().Error == "" {
		time.Sleep(time.Millisecond)
	}
	chain.mu.Lock()
	chain.tipErr = nil
	chain.mu.Unlock()
	select {
	case <-ix.Synced():
	case <-time.After(20 * time.Second):
		t.Fatal("never synced")
	}
	st := ix.Status()
	if st.DBHeight != 5 || !st.Synced || st.Error != "" {
		t.Errorf("status = %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}
