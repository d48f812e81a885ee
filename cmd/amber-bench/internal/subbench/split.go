package subbench

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/btcsuite/btcd/wire"
)

// SplitOutputs cuts outs into consecutive chunks of at most per outputs,
// as even as possible (2,001 outputs at 2,000 per tx: 1,001 + 1,000, not
// 2,000 + 1), one chunk per transaction.
func SplitOutputs(outs []*wire.TxOut, per int) ([][]*wire.TxOut, error) {
	if per <= 0 {
		return nil, fmt.Errorf("split outputs: %d per transaction", per)
	}
	if len(outs) == 0 {
		return nil, nil
	}
	n := (len(outs) + per - 1) / per
	chunks := make([][]*wire.TxOut, 0, n)
	for i := range n {
		lo, hi := i*len(outs)/n, (i+1)*len(outs)/n
		chunks = append(chunks, slices.Clip(outs[lo:hi]))
	}
	return chunks, nil
}

// Bucket is one histogram bucket: Count samples were > the previous
// bucket's LE and <= LE (not cumulative).
type Bucket struct {
	LE    int64 `json:"le_ns"`
	Count int   `json:"count"`
}

// Histogram sorts values into log-spaced buckets, perDecade per power of
// ten (upper bounds 10^(k/perDecade) ns rounded up; the first bucket holds
// everything up to 1 µs), from the bucket of the smallest value to the
// bucket of the largest: empty buckets in between are kept so that a chart
// shows the gaps.
func Histogram(values []time.Duration, perDecade int) []Bucket {
	if len(values) == 0 || perDecade <= 0 {
		return nil
	}
	floor := 3 * perDecade // 1 µs
	idx := func(v time.Duration) int {
		if v <= time.Microsecond {
			return floor
		}
		k := int(math.Ceil(math.Log10(float64(v)) * float64(perDecade)))
		for k > 0 && le(k-1, perDecade) >= int64(v) { // float rounding
			k--
		}
		for le(k, perDecade) < int64(v) {
			k++
		}
		return k
	}
	lo, hi := math.MaxInt, 0
	counts := map[int]int{}
	for _, v := range values {
		k := idx(v)
		counts[k]++
		lo, hi = min(lo, k), max(hi, k)
	}
	out := make([]Bucket, 0, hi-lo+1)
	for k := lo; k <= hi; k++ {
		out = append(out, Bucket{LE: le(k, perDecade), Count: counts[k]})
	}
	return out
}

// le is the upper bound of bucket k: 10^(k/perDecade) ns, rounded up.
func le(k, perDecade int) int64 {
	return int64(math.Ceil(math.Pow(10, float64(k)/float64(perDecade)) - 1e-9))
}
