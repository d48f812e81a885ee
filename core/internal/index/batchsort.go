package index

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/internal/store"
)

// A sync batch is written to the store in key order. The store's bulk load
// (store.BulkLoader: sorted tables ingested) requires it, so the sort is
// not an optimisation to drop. Before that, it paid for itself: pebble
// sorts a large batch before it can commit it (a flushable batch: sort.Sort over the
// batch's entries, comparing the keys in the batch's buffer through an
// interface), which cost about a sixth of amberd's CPU in the initial
// sync; on input already in order its pdqsort makes one pass. Sorting
// here is cheaper: 24-byte references holding the keys' first 16 bytes,
// compared as integers; whole keys only when those are equal.

// rowRef is one row of a batch: its key's first 16 bytes (big-endian,
// zero-padded) and where the row is (rowKind<<rowKindShift | index).
type rowRef struct {
	hi, lo uint64
	at     uint32
}

const (
	rowDel   = iota // b.dels[i]
	rowSet          // b.sets[i]
	rowLiveO        // the O row of live output i (liveRows)
	rowLiveU        // its U row
	rowOther        // other[i]: undo records and their deletes, the state

	rowKindShift = 29
	rowIndexMask = 1<<rowKindShift - 1
)

// liveRowLen is the encoded O key, O value, U key and U value of a live
// output, stored back to back.
const liveRowLen = 37 + outValLen + 21 + utxoValLen

// otherRow is a row outside the batch's prepared slices.
type otherRow struct {
	k, v []byte // v nil: delete
}

// sortedBatch is a batch's rows in key order, ready to write.
type sortedBatch struct {
	b     *syncBatch
	live  []byte // liveRowLen per live output
	other []otherRow
	refs  []rowRef
}

// writeSorted writes b's rows and other in key order to tx. (Reusing the
// sort's buffers from batch to batch, tens of MB, measured no gain: held
// between batches they count as live heap next to the Go memory limit,
// and the collector runs more often; BenchmarkSyncForwardLarge.)
func writeSorted(tx store.Writer, b *syncBatch, other []otherRow) error {
	return sortBatch(b, other).write(tx)
}

func refOf(k []byte, kind int, i int) rowRef {
	var p [16]byte
	copy(p[:], k)
	return rowRef{hi: binary.BigEndian.Uint64(p[:8]), lo: binary.BigEndian.Uint64(p[8:]), at: uint32(kind<<rowKindShift | i)}
}

// key is the key of r.
func (s *sortedBatch) key(r rowRef) []byte {
	i := int(r.at & rowIndexMask)
	switch r.at >> rowKindShift {
	case rowDel:
		return s.b.dels[i]
	case rowSet:
		return s.b.sets[i].k
	case rowLiveO:
		return s.live[i*liveRowLen:][:37]
	case rowLiveU:
		return s.live[i*liveRowLen+37+outValLen:][:21]
	default:
		return s.other[i].k
	}
}

// sortBatch orders b's rows (and other) by key. Rows with equal keys keep
// their write order (a re-created outpoint, BIP30: its delete, then its
// set).
func sortBatch(b *syncBatch, other []otherRow) *sortedBatch {
	s := &sortedBatch{b: b, other: other}
	n := len(b.dels) + len(b.sets) + 2*len(b.lay.live) + len(other)
	s.refs = make([]rowRef, 0, n)
	for i, k := range b.dels {
		s.refs = append(s.refs, refOf(k, rowDel, i))
	}
	s.live = make([]byte, 0, liveRowLen*len(b.lay.live))
	i := 0
	for op, ov := range b.lay.live {
		o := len(s.live)
		s.live = appendOutKey(s.live, &op.txid, op.vout)
		s.live = ov.appendTo(s.live)
		u := len(s.live)
		s.live = appendUTXOKey(s.live, ov.hx, ov.txnum, op.vout)
		s.live = appendUTXOVal(s.live, ov.value, &op.txid, ov.height)
		s.refs = append(s.refs, refOf(s.live[o:o+37], rowLiveO, i), refOf(s.live[u:u+21], rowLiveU, i))
		i++
	}
	for i, r := range b.sets {
		s.refs = append(s.refs, refOf(r.k, rowSet, i))
	}
	for i, r := range other {
		s.refs = append(s.refs, refOf(r.k, rowOther, i))
	}
	// Write order for equal keys: dels (kind 0) before sets and live rows,
	// and by index within a kind; at orders exactly that, except that
	// live rows come after sets. They never share a key: a set is an X, B
	// or H row or a duplicate's older U row, whose tx_num differs.
	if len(s.refs) < 1024 {
		s.sortRange(s.refs)
		return s
	}
	var ends []int32
	s.refs, ends = bucketByTop16(s.refs, make([]rowRef, len(s.refs)))
	// The buckets are sorted on up to GOMAXPROCS goroutines, each taking
	// the next unsorted run of buckets of about sortChunk refs: the
	// commit stage is serial, so its wall time holds up the sync when a
	// core is free.
	var next atomic.Int64
	work := func() {
		for {
			claimed := int(next.Add(sortChunk) - sortChunk)
			if claimed >= len(s.refs) {
				return
			}
			// A run starts at the first bucket boundary at or after
			// the claimed refs and ends at the first at or after
			// their end: the runs of the claims cover every bucket
			// once.
			// The boundaries come from the counting sort, not from
			// the refs, which other goroutines are sorting.
			start := bucketBoundary(ends, claimed)
			end := bucketBoundary(ends, min(claimed+sortChunk, len(s.refs)))
			s.sortBuckets(s.refs[start:end])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(s.refs)/sortChunk+1)
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Add(1)
		go func() { defer wg.Done(); work() }()
	}
	work()
	wg.Wait()
	return s
}

// sortChunk is how many refs a goroutine of sortBatch takes at a time.
const sortChunk = 1 << 16

// bucketBoundary is the first bucket boundary at or after i: 0, or the
// end of a bucket (ends, from bucketByTop16, is non-decreasing and its
// last entry is the number of refs, at least i).
func bucketBoundary(ends []int32, i int) int {
	if i <= 0 {
		return 0
	}
	return int(ends[sort.Search(len(ends), func(b int) bool { return int(ends[b]) >= i })])
}

// sortBuckets sorts each bucket (run of equal first two key bytes) of
// refs on its own.
func (s *sortedBatch) sortBuckets(refs []rowRef) {
	start := 0
	for i := 1; i <= len(refs); i++ {
		if i < len(refs) && refs[i].hi>>48 == refs[start].hi>>48 {
			continue
		}
		s.sortRange(refs[start:i])
		start = i
	}
}

// bucketByTop16 orders refs by their keys' first two bytes (a counting
// sort, stable) into out (as long as refs), so that each run of equal
// first bytes can be sorted alone: the keys are a handful of prefixes
// followed by hashes. It returns out and, for each value of the two
// bytes, the end of its bucket in out.
func bucketByTop16(refs, out []rowRef) ([]rowRef, []int32) {
	count := make([]int32, 1<<16)
	for _, r := range refs {
		count[r.hi>>48]++
	}
	var sum int32
	for i, c := range count {
		count[i] = sum
		sum += c
	}
	for _, r := range refs {
		b := r.hi >> 48
		out[count[b]] = r
		count[b]++
	}
	return out, count
}

// sortRange sorts refs by key, then write order.
func (s *sortedBatch) sortRange(refs []rowRef) {
	slices.SortFunc(refs, func(a, c rowRef) int {
		if a.hi != c.hi {
			return cmp.Compare(a.hi, c.hi)
		}
		if a.lo != c.lo {
			return cmp.Compare(a.lo, c.lo)
		}
		if r := bytes.Compare(s.key(a), s.key(c)); r != 0 {
			return r
		}
		return cmp.Compare(a.at, c.at)
	})
}

// write writes the rows in order.
func (s *sortedBatch) write(tx store.Writer) error {
	for _, r := range s.refs {
		i := int(r.at & rowIndexMask)
		var err error
		switch r.at >> rowKindShift {
		case rowDel:
			err = tx.Delete(s.b.dels[i])
		case rowSet:
			kv := &s.b.sets[i]
			if kv.k[0] == pHist || kv.k[0] == pUTXO {
				err = setFresh(tx, kv.k, kv.v)
			} else {
				err = tx.Set(kv.k, kv.v)
			}
		case rowLiveO:
			row := s.live[i*liveRowLen:]
			err = tx.Set(row[:37], row[37:37+outValLen])
		case rowLiveU:
			row := s.live[i*liveRowLen+37+outValLen:]
			// tx_nums are never reused (undoBlock deletes the rows of
			// the tx_nums it gives back), so no U row has this key.
			err = setFresh(tx, row[:21], row[21:21+utxoValLen])
		default:
			o := &s.other[i]
			if o.v == nil {
				err = tx.Delete(o.k)
			} else {
				err = tx.Set(o.k, o.v)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
