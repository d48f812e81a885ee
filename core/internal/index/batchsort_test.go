package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// recWriter records a batch's writes in order.
type recWriter struct{ ops []recOp }

type recOp struct {
	k, v  []byte
	del   bool
	fresh bool
}

func (w *recWriter) Set(k, v []byte) error {
	w.ops = append(w.ops, recOp{k: slices.Clone(k), v: slices.Clone(v)})
	return nil
}

func (w *recWriter) SetFresh(k, v []byte) error {
	w.ops = append(w.ops, recOp{k: slices.Clone(k), v: slices.Clone(v), fresh: true})
	return nil
}

func (w *recWriter) Delete(k []byte) error {
	w.ops = append(w.ops, recOp{k: slices.Clone(k), del: true})
	return nil
}

// testBatch is a batch with every kind of row: spends (O and U deletes),
// live outputs (one re-creating a spent outpoint, BIP30), history and
// block rows, and a duplicate's older U row.
func testBatch(n int, seed uint64) (*syncBatch, []otherRow) {
	r := rand.New(rand.NewPCG(seed, 1))
	hash := func() (h sdk.Hash) {
		for i := range h {
			h[i] = byte(r.IntN(256))
		}
		return h
	}
	b := newSyncBatch(1, state{height: 9}, nil)
	for i := range n {
		txid := hash()
		hh := hash()
		hx := HashX(hh[:11])
		if i%5 == 0 {
			hx = HashX{1, 2, 3} // a heavy script: equal 16-byte key prefixes
		}
		op := outpoint{txid: txid, vout: uint32(i % 3)}
		b.lay.live[op] = outVal{hx: hx, txnum: uint64(1000 + i), value: int64(i), height: 10}
		b.addSet(appendHistKey(nil, hx, uint64(1000+i)), histVal(&txid, 10))
		spent := hash()
		b.dels = append(b.dels, appendOutKey(nil, &spent, 0), appendUTXOKey(nil, hx, uint64(i), 0))
	}
	// BIP30: an outpoint spent and created again in the batch.
	dup := outpoint{txid: sdk.Hash{0xAA}, vout: 0}
	b.dels = append(b.dels, appendOutKey(nil, &dup.txid, dup.vout))
	b.lay.live[dup] = outVal{hx: HashX{9}, txnum: 5000, value: 7, height: 10}
	b.addSet(appendUTXOKey(nil, HashX{9}, 4000, 0), utxoVal(1, &dup.txid, 9))
	b.addSet(heightKey(pBlock, 10), make([]byte, 32))
	b.addSet(heightKey(pHeader, 10), make([]byte, 80))
	other := []otherRow{{k: heightKey(pUndo, 2)}, {k: heightKey(pUndo, 10), v: []byte{1}}, {k: []byte(stateKeyStr), v: []byte{2}}}
	return b, other
}

// unsortedWrites is the rows of b in the order the writer used before the
// sort: deletes, undo rows, live outputs, prepared sets, state.
func unsortedWrites(b *syncBatch, other []otherRow) []recOp {
	var w recWriter
	for _, k := range b.dels {
		_ = w.Delete(k)
	}
	for _, o := range other {
		if o.v == nil {
			_ = w.Delete(o.k)
		} else {
			_ = w.Set(o.k, o.v)
		}
	}
	for op, ov := range b.lay.live {
		_ = w.SetFresh(utxoKey(ov.hx, ov.txnum, op.vout), utxoVal(ov.value, &op.txid, ov.height))
		_ = w.Set(outKey(&op.txid, op.vout), ov.encode())
	}
	for _, s := range b.sets {
		if s.k[0] == pHist || s.k[0] == pUTXO {
			_ = w.SetFresh(s.k, s.v)
		} else {
			_ = w.Set(s.k, s.v)
		}
	}
	return w.ops
}

// finalState applies ops in order: what a store holds after them.
func finalState(ops []recOp) map[string]string {
	m := map[string]string{}
	for _, o := range ops {
		if o.del {
			m[string(o.k)] = "<deleted>"
		} else {
			m[string(o.k)] = string(o.v)
		}
	}
	return m
}

// TestSortBatch: the sorted writer writes the same rows as the unsorted
// one (same final state, same fresh marks, same count), in key order, and
// a key written twice (BIP30) keeps its delete before its set.
func TestSortBatch(t *testing.T) {
	for _, n := range []int{0, 1, 7, 500, 5000, 40000} { // 40000: several sortChunks, sorted in parallel
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			b, other := testBatch(n, uint64(n))
			var w recWriter
			if err := sortBatch(b, other).write(&w); err != nil {
				t.Fatal(err)
			}
			want := unsortedWrites(b, other)
			if len(w.ops) != len(want) {
				t.Fatalf("%d writes, want %d", len(w.ops), len(want))
			}
			got, exp := finalState(w.ops), finalState(want)
			if len(got) != len(exp) {
				t.Fatalf("%d keys, want %d", len(got), len(exp))
			}
			for k, v := range exp {
				if got[k] != v {
					t.Fatalf("key %x: %q, want %q", k, got[k], v)
				}
			}
			fresh := func(ops []recOp) (n int) {
				for _, o := range ops {
					if o.fresh {
						n++
					}
				}
				return n
			}
			if fresh(w.ops) != fresh(want) {
				t.Errorf("%d fresh sets, want %d", fresh(w.ops), fresh(want))
			}
			for i := 1; i < len(w.ops); i++ {
				a, c := w.ops[i-1], w.ops[i]
				switch bytes.Compare(a.k, c.k) {
				case 1:
					t.Fatalf("write %d: key %x after %x", i, c.k, a.k)
				case 0:
					if !a.del || c.del {
						t.Fatalf("write %d: key %x written twice, not delete then set", i, c.k)
					}
				}
			}
		})
	}
}

// BenchmarkSortBatch: a batch of 100,000 live outputs with their history
// rows and spends (500,000 rows). "refs" is sortBatch and the write into a
// writer that does nothing; "pebble-unsorted" and "pebble-sorted" are the
// sort pebble makes of a large batch (sort.Sort comparing whole keys with
// bytes.Compare), on the rows in the old write order and in key order.
// Reports CPU ns per row.
func BenchmarkSortBatch(b *testing.B) {
	bt, other := testBatch(100_000, 1)
	rows := len(bt.dels) + len(bt.sets) + 2*len(bt.lay.live) + len(other)
	keys := func(ops []recOp) [][]byte {
		out := make([][]byte, len(ops))
		for i, o := range ops {
			out[i] = o.k
		}
		return out
	}
	var sortedW recWriter
	if err := sortBatch(bt, other).write(&sortedW); err != nil {
		b.Fatal(err)
	}
	unsorted, sorted := keys(unsortedWrites(bt, other)), keys(sortedW.ops)
	run := func(b *testing.B, fn func()) {
		var cpu time.Duration
		for b.Loop() {
			c0 := cpuTime()
			fn()
			cpu += cpuTime() - c0
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
	}
	b.Run("refs", func(b *testing.B) {
		run(b, func() {
			if err := sortBatch(bt, other).write(nopWriter{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	for _, c := range []struct {
		name string
		keys [][]byte
	}{{"pebble-unsorted", unsorted}, {"pebble-sorted", sorted}} {
		b.Run(c.name, func(b *testing.B) {
			idx := make([]int, len(c.keys))
			run(b, func() {
				for i := range idx {
					idx[i] = i
				}
				sort.Sort(byKey{idx, c.keys})
			})
		})
	}
}

// byKey sorts indexes of keys as pebble sorts a flushable batch.
type byKey struct {
	idx  []int
	keys [][]byte
}

func (s byKey) Len() int      { return len(s.idx) }
func (s byKey) Swap(i, j int) { s.idx[i], s.idx[j] = s.idx[j], s.idx[i] }
func (s byKey) Less(i, j int) bool {
	if c := bytes.Compare(s.keys[s.idx[i]], s.keys[s.idx[j]]); c != 0 {
		return c < 0
	}
	return s.idx[i] > s.idx[j]
}

type nopWriter struct{}

func (nopWriter) Set(k, v []byte) error { return nil }
func (nopWriter) Delete(k []byte) error { return nil }
