package index

import (
	"context"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

func TestFeeRate(t *testing.T) {
	cases := []struct {
		fee, vsize int64
		want       float64
	}{
		{1001, 100, 10.0}, // 10.01 rounds down
		{999, 100, 9.9},
		{1, 3, 0.3},
		{0, 250, 0},
		{12345, 1000, 12.3},
	}
	for _, c := range cases {
		if got := feeRate(c.fee, c.vsize); got != c.want {
			t.Errorf("feeRate(%d, %d) = %v, want %v", c.fee, c.vsize, got, c.want)
		}
	}
}

// TestCompactHistogram is a worked example, bin size 30,000:
//
//	20.0: 10,000 → cum 10,000
//	15.5: 25,000 → cum 35,000 > 30,000: emit (15.5, 35000), bin 33,000
//	10.0:  5,000 → cum 5,000
//	 8.0: 70,000 > 2×33,000 with cum > 0: emit (10.0, 5000), bin 36,300;
//	      cum 70,000 > 36,300: emit (8.0, 70000), bin 39,930
//	 2.0: 20,000 → cum 20,000;  1.0: 1,000 → cum 21,000 < 39,930: left out
func TestCompactHistogram(t *testing.T) {
	cases := []struct {
		name  string
		rates map[float64]int64
		bin   int64
		want  []FeeBin
	}{
		{"worked example", map[float64]int64{20: 10000, 15.5: 25000, 10: 5000, 8: 70000, 2: 20000, 1: 1000}, 30000,
			[]FeeBin{{15.5, 35000}, {10, 5000}, {8, 70000}}},
		{"empty", map[float64]int64{}, 30000, []FeeBin{}},
		{"never full", map[float64]int64{5: 100, 4: 200}, 30000, []FeeBin{}},
		{"first lump has no previous rate", map[float64]int64{9: 70000, 3: 40000}, 30000,
			[]FeeBin{{9, 70000}, {3, 40000}}},
	}
	for _, c := range cases {
		if got := compactHistogram(c.rates, c.bin); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// TestFeeHistogramFromMempool checks the end-to-end path with true vsizes.
func TestFeeHistogramFromMempool(t *testing.T) {
	g := genesisBlock()
	cb := coinbase(1, 0, out{p2pkh(1), 50e8}, out{p2pkh(2), 50e8}, out{p2pkh(3), 50e8})
	b1 := mkBlock(g, 1, 0, cb)
	// Three txs with fees chosen from their vsize to land on exact rates.
	mk := func(vout uint32, witness bool) *wire.MsgTx {
		return spend([]wire.OutPoint{op(cb, vout)}, witness, out{p2wpkh(9), 50e8})
	}
	txs := []*wire.MsgTx{mk(0, true), mk(1, false), mk(2, true)}
	rates := []int64{30, 20, 10}
	var sizes []int64
	for i, tx := range txs {
		vs := vsize(tx)
		sizes = append(sizes, vs)
		tx.TxOut[0].Value = 50e8 - rates[i]*vs
	}
	chain := &fakeChain{}
	chain.set([]*wire.MsgBlock{g, b1}, txs...)
	ix := newTestIndex(t, chain, nil, func(o *Options) { o.HistogramBinSize = sizes[0] })
	settle(t, ix)
	// bin = vsize(tx0): 30 → cum = v0, not > bin; 20 → cum v0+v1 > bin: emit
	// (20, v0+v1), bin ×1.1; 10 → cum v2 < bin: left out.
	want := []FeeBin{{20, sizes[0] + sizes[1]}}
	if got := ix.FeeHistogram(); !reflect.DeepEqual(got, want) {
		t.Errorf("histogram = %v, want %v (vsizes %v)", got, want, sizes)
	}
	_ = context.Background()
}
