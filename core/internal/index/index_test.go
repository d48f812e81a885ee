package index

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/sdk"
)

// smallChain: genesis; 1: coinbase→A; 2: coinbase→B, t1 spends cb1 → B(p2wpkh), A change,
// OP_RETURN; t2 spends t1:0 in the same block → C.
type smallChain struct {
	blocks      []*wire.MsgBlock
	cb1, cb2    *wire.MsgTx
	t1, t2      *wire.MsgTx
	a, b, c, gs []byte
}

func newSmallChain() *smallChain {
	s := &smallChain{a: p2pkh(0xaa), b: p2wpkh(0xbb), c: p2pkh(0xcc), gs: p2pkh(0x99)}
	g := genesisBlock()
	s.cb1 = coinbase(1, 1, out{s.a, 50e8})
	b1 := mkBlock(g, 1, 1, s.cb1)
	s.cb2 = coinbase(2, 1, out{s.b, 50e8})
	s.t1 = spend([]wire.OutPoint{op(s.cb1, 0)}, false, out{s.b, 30e8}, out{s.a, 19e8}, out{opReturn, 0})
	s.t2 = spend([]wire.OutPoint{op(s.t1, 0)}, true, out{s.c, 29e8})
	b2 := mkBlock(b1, 2, 1, s.cb2, s.t1, s.t2)
	s.blocks = []*wire.MsgBlock{g, b1, b2}
	return s
}

func TestApplySmallChain(t *testing.T) {
	ctx := context.Background()
	sc := newSmallChain()
	chain := &fakeChain{}
	chain.set(sc.blocks)
	ix := newTestIndex(t, chain, nil, nil)
	settle(t, ix)

	h, hash, header := ix.Tip()
	if h != 2 || hash != sdk.Hash(sc.blocks[2].BlockHash()) || headerHash(header) != hash {
		t.Fatalf("tip = %d %s", h, hash)
	}
	if st := ix.Status(); st.TxCount != 4 || !st.Synced || st.DaemonHeight != 2 {
		t.Errorf("status = %+v", st)
	}
	type hist = []Confirmed
	histCases := []struct {
		name   string
		script []byte
		want   hist
	}{
		{"A", sc.a, hist{{txh(sc.cb1), 1}, {txh(sc.t1), 2}}},
		{"B", sc.b, hist{{txh(sc.cb2), 2}, {txh(sc.t1), 2}, {txh(sc.t2), 2}}},
		{"C", sc.c, hist{{txh(sc.t2), 2}}},
		{"OP_RETURN not indexed", opReturn, nil},
		{"genesis coinbase not indexed", sc.gs, nil},
	}
	for _, c := range histCases {
		conf, mem, err := ix.History(ctx, hx(c.script), 0)
		if err != nil || len(mem) != 0 || !reflect.DeepEqual(conf, c.want) {
			t.Errorf("History(%s) = %v %v %v, want %v", c.name, conf, mem, err, c.want)
		}
	}
	if _, _, err := ix.History(ctx, hx(sc.b), 3); !errors.Is(err, ErrHistoryTooLarge) {
		t.Errorf("History(B, limit 3) err = %v", err)
	}
	if conf, _, err := ix.History(ctx, hx(sc.b), 4); err != nil || len(conf) != 3 {
		t.Errorf("History(B, limit 4) = %v, %v", conf, err)
	}

	balCases := []struct {
		name   string
		script []byte
		conf   int64
		n      int
		utxos  []UTXO
	}{
		{"A", sc.a, 19e8, 1, []UTXO{{txh(sc.t1), 1, 2, 19e8}}},
		{"B", sc.b, 50e8, 1, []UTXO{{txh(sc.cb2), 0, 2, 50e8}}},
		{"C", sc.c, 29e8, 1, []UTXO{{txh(sc.t2), 0, 2, 29e8}}},
		{"genesis", sc.gs, 0, 0, nil},
	}
	for _, c := range balCases {
		conf, unc, n, err := ix.Balance(ctx, hx(c.script))
		if err != nil || conf != c.conf || unc != 0 || n != c.n {
			t.Errorf("Balance(%s) = %d %d %d %v", c.name, conf, unc, n, err)
		}
		utxos, nb, err := ix.ListUnspent(ctx, hx(c.script))
		if err != nil || nb != len(c.utxos) || !reflect.DeepEqual(utxos, c.utxos) {
			t.Errorf("ListUnspent(%s) = %v %d %v, want %v", c.name, utxos, nb, err, c.utxos)
		}
	}

	txids, err := ix.BlockTxids(ctx, 2)
	if want := []sdk.Hash{txh(sc.cb2), txh(sc.t1), txh(sc.t2)}; err != nil || !reflect.DeepEqual(txids, want) {
		t.Errorf("BlockTxids(2) = %v %v", txids, err)
	}
	for _, h := range []int64{0, 3, -1} {
		if _, err := ix.BlockTxids(ctx, h); !errors.Is(err, ErrBlockNotFound) {
			t.Errorf("BlockTxids(%d) err = %v", h, err)
		}
	}
	var all bytes.Buffer
	for _, b := range sc.blocks {
		_ = b.Header.Serialize(&all)
	}
	hdrCases := []struct {
		start int64
		count int
		want  []byte
	}{
		{0, 10, all.Bytes()},
		{1, 1, all.Bytes()[80:160]},
		{2, 5, all.Bytes()[160:]},
		{3, 5, nil},
		{0, 0, nil},
	}
	for _, c := range hdrCases {
		got, err := ix.Headers(ctx, c.start, c.count)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("Headers(%d,%d) = %x %v", c.start, c.count, got, err)
		}
	}
	hashes, err := ix.BlockHashes(ctx, 0, 3)
	if err != nil || len(hashes) != 3 || hashes[1] != sdk.Hash(sc.blocks[1].BlockHash()) {
		t.Errorf("BlockHashes = %v %v", hashes, err)
	}
}

func TestHashXVector(t *testing.T) {
	script := append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0x11}, 20)...)
	got := HashXFromScript(script)
	want := []byte{0x82, 0xd2, 0xc7, 0xb9, 0xde, 0xd5, 0x42, 0xf3, 0x02, 0x4b, 0xfe}
	if !bytes.Equal(got[:], want) {
		t.Errorf("hashX = %x", got)
	}
}

func TestWrongGenesis(t *testing.T) {
	sc := newSmallChain()
	chain := &fakeChain{}
	chain.set(sc.blocks)
	ix := newTestIndex(t, chain, nil, func(o *Options) { o.Genesis = sdk.Hash{1} })
	if err := ix.Run(context.Background()); err == nil {
		t.Fatal("Run with the wrong genesis succeeded")
	}
	if h, _, _ := ix.Tip(); h != -1 {
		t.Errorf("height after wrong genesis = %d", h)
	}
}

func TestReopenOtherGenesis(t *testing.T) {
	sc := newSmallChain()
	chain := &fakeChain{}
	chain.set(sc.blocks)
	ix := newTestIndex(t, chain, nil, nil)
	settle(t, ix)
	_, err := Open(context.Background(), Options{Store: ix.st, Chain: chain, Genesis: sdk.Hash{7}})
	if err == nil {
		t.Fatal("opening with another genesis succeeded")
	}
}
