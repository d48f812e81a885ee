package index

import (
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// TestOutCache: a retired layer's spends leave the cache and its unspent
// outputs enter it; a re-created outpoint (BIP30) answers its new value;
// the oldest generation is dropped when the young one is full; a zero
// budget keeps nothing.
func TestOutCache(t *testing.T) {
	op := func(b byte) outpoint { return outpoint{txid: sdk.Hash{b}, vout: uint32(b)} }
	ov := func(b byte, h int64) outVal {
		return outVal{hx: HashX{b}, txnum: uint64(b), value: int64(b), height: h}
	}
	lay := func(live map[outpoint]outVal, spent ...outpoint) *layer {
		l := &layer{live: live, spent: map[outpoint]struct{}{}}
		for _, s := range spent {
			l.spent[s] = struct{}{}
		}
		return l
	}
	type want struct {
		op outpoint
		ov outVal
		ok bool
	}
	c := newOutCache(4 * 2 * outCacheEntryBytes) // 4 entries per generation
	steps := []struct {
		name string
		l    *layer
		want []want
	}{
		{"first batch", lay(map[outpoint]outVal{op(1): ov(1, 1), op(2): ov(2, 1)}),
			[]want{{op(1), ov(1, 1), true}, {op(2), ov(2, 1), true}, {op(3), outVal{}, false}}},
		{"spends leave", lay(map[outpoint]outVal{op(3): ov(3, 2)}, op(1)),
			[]want{{op(1), outVal{}, false}, {op(2), ov(2, 1), true}, {op(3), ov(3, 2), true}}},
		{"re-created outpoint answers its new value", lay(map[outpoint]outVal{op(2): ov(2, 3)}, op(2)),
			[]want{{op(2), ov(2, 3), true}}},
		{"young fills: old generation dropped", lay(map[outpoint]outVal{op(4): ov(4, 4), op(5): ov(5, 4)}),
			[]want{{op(2), ov(2, 3), true}, {op(4), ov(4, 4), true}, {op(5), ov(5, 4), true}}},
		{"second roll", lay(map[outpoint]outVal{op(6): ov(6, 5), op(7): ov(7, 5), op(8): ov(8, 5), op(9): ov(9, 5)}),
			[]want{{op(9), ov(9, 5), true}, {op(3), ov(3, 2), true}}},
		{"third roll", lay(map[outpoint]outVal{op(10): ov(10, 6)}),
			[]want{{op(10), ov(10, 6), true}, {op(9), ov(9, 5), true}}},
	}
	for _, s := range steps {
		c.retire(s.l)
		for _, w := range s.want {
			got, ok := c.get(w.op)
			if ok != w.ok || got != w.ov {
				t.Errorf("%s: get %v = %+v, %v; want %+v, %v", s.name, w.op.txid[0], got, ok, w.ov, w.ok)
			}
		}
		if n := c.len(); n > 2*c.maxGen {
			t.Errorf("%s: %d entries, budget %d", s.name, n, 2*c.maxGen)
		}
	}
	// After the third roll the first batches' outputs are gone.
	if _, ok := c.get(op(3)); ok {
		t.Error("an output two generations old is still cached")
	}
	off := newOutCache(0)
	off.retire(lay(map[outpoint]outVal{op(1): ov(1, 1)}))
	if _, ok := off.get(op(1)); ok || off.len() != 0 {
		t.Error("a cache without budget keeps outputs")
	}
	var none *outCache
	none.retire(lay(map[outpoint]outVal{op(1): ov(1, 1)}))
	if _, ok := none.get(op(1)); ok {
		t.Error("a nil cache answers")
	}
}
