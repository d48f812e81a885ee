package index

import (
	"math"
	"sort"
	"sync"
	"time"
)

// histogramCache holds the last compact fee histogram.
type histogramCache struct {
	mu    sync.Mutex
	bins  []FeeBin
	built time.Time
}

// FeeHistogram returns the cached compact fee histogram (SP22 algorithm,
// true vsize), rebuilt after mempool rounds at most every HistogramRefresh.
func (ix *Index) FeeHistogram() []FeeBin {
	ix.hist.mu.Lock()
	defer ix.hist.mu.Unlock()
	return ix.hist.bins
}

// refreshHistogram rebuilds the histogram if it is older than the refresh
// interval (or force). Called by the processor after a mempool round.
func (ix *Index) refreshHistogram(now time.Time, force bool) {
	ix.hist.mu.Lock()
	stale := force || ix.hist.built.IsZero() || now.Sub(ix.hist.built) >= ix.opts.HistogramRefresh
	ix.hist.mu.Unlock()
	if !stale {
		return
	}
	ix.mp.mu.RLock()
	rates := make(map[float64]int64)
	for _, t := range ix.mp.txs {
		if t.vsize <= 0 {
			continue
		}
		rates[feeRate(t.fee, t.vsize)] += t.vsize
	}
	ix.mp.mu.RUnlock()
	bins := compactHistogram(rates, ix.opts.HistogramBinSize)
	ix.hist.mu.Lock()
	ix.hist.bins, ix.hist.built = bins, now
	ix.hist.mu.Unlock()
}

// feeRate is floor(10 × fee/vsize)/10: 0.1 sat/vB resolution, rounded down.
func feeRate(fee, vsize int64) float64 {
	return math.Floor(10*float64(fee)/float64(vsize)) / 10
}

// compactHistogram is SP22's _compress_histogram: walk rates from highest to
// lowest accumulating vsize; emit (rate, size) once the accumulation exceeds
// the bin size, which then grows ×1.1; a single rate carrying more than twice
// the bin size first flushes the pending accumulation under the previous
// rate. The cheapest, not yet full accumulation is left out.
func compactHistogram(rates map[float64]int64, binSize int64) []FeeBin {
	keys := make([]float64, 0, len(rates))
	for r := range rates {
		keys = append(keys, r)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(keys)))
	bin := float64(binSize)
	out := []FeeBin{}
	var cum int64
	prev, havePrev := 0.0, false
	for _, r := range keys {
		size := rates[r]
		if float64(size) > 2*bin && havePrev && cum > 0 {
			out = append(out, FeeBin{Rate: prev, VSize: cum})
			cum = 0
			bin *= 1.1
		}
		cum += size
		if float64(cum) > bin {
			out = append(out, FeeBin{Rate: r, VSize: cum})
			cum = 0
			bin *= 1.1
		}
		prev, havePrev = r, true
	}
	return out
}
