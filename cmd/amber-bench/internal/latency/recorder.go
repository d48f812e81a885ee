package latency

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// subBits is the precision of a bucket: 2^subBits buckets per power of two,
// so a bucket is at most 1/128 of its values wide.
const subBits = 7

const (
	sub     = 1 << subBits
	maxExp  = 40 // values up to 2^(40+subBits+1) ns (~78 h) are bucketed; above, clamped
	nBucket = sub + (maxExp+1)*sub
)

// Recorder is a latency histogram. The zero value is ready to use.
type Recorder struct {
	mu       sync.Mutex
	counts   []int64 // allocated on first Record
	n        int64
	sum      time.Duration
	min, max time.Duration
}

// bucket returns the bucket index of v (nanoseconds, >= 0).
func bucket(v int64) int {
	if v < sub {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits - 1 // v >> e is in [sub, 2*sub)
	if e > maxExp {
		return nBucket - 1
	}
	return sub + e*sub + int(v>>e) - sub
}

// upper returns the largest value in bucket i.
func upper(i int) int64 {
	if i < sub {
		return int64(i)
	}
	e := (i - sub) / sub
	m := int64((i-sub)%sub + sub)
	return (m+1)<<e - 1
}

// Record adds one sample; negative durations count as 0.
func (r *Recorder) Record(d time.Duration) {
	d = max(d, 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = make([]int64, nBucket)
	}
	r.counts[bucket(int64(d))]++
	if r.n == 0 || d < r.min {
		r.min = d
	}
	if d > r.max {
		r.max = d
	}
	r.n++
	r.sum += d
}

// Merge adds every sample of o to r.
func (r *Recorder) Merge(o *Recorder) {
	if o == r {
		return
	}
	o.mu.Lock()
	counts := append([]int64(nil), o.counts...)
	n, sum, mn, mx := o.n, o.sum, o.min, o.max
	o.mu.Unlock()
	if n == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = make([]int64, nBucket)
	}
	for i, c := range counts {
		r.counts[i] += c
	}
	if r.n == 0 || mn < r.min {
		r.min = mn
	}
	r.max = max(r.max, mx)
	r.n += n
	r.sum += sum
}

// Count returns the number of samples.
func (r *Recorder) Count() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Percentile returns the nearest-rank p-th percentile (0 <= p <= 100): the
// smallest recorded value v, to within the bucket width, such that at least
// p% of the samples are <= v. p <= 0 gives the minimum, p >= 100 the
// maximum; an empty recorder gives 0.
func (r *Recorder) Percentile(p float64) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return 0
	}
	if p <= 0 {
		return r.min
	}
	if p >= 100 {
		return r.max
	}
	rank := int64(math.Ceil(p / 100 * float64(r.n)))
	rank = max(rank, 1)
	var cum int64
	for i, c := range r.counts {
		cum += c
		if cum >= rank {
			v := time.Duration(upper(i))
			return min(max(v, r.min), r.max)
		}
	}
	return r.max
}

// Mean returns the average sample (0 when empty).
func (r *Recorder) Mean() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return 0
	}
	return r.sum / time.Duration(r.n)
}

// Max returns the largest sample.
func (r *Recorder) Max() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.max
}

// Summary is a recorder's figures, for reports.
type Summary struct {
	Count int64         `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summary returns count, mean, p50, p99, p99.9 and max.
func (r *Recorder) Summary() Summary {
	return Summary{Count: r.Count(), Mean: r.Mean(), P50: r.Percentile(50), P99: r.Percentile(99), P999: r.Percentile(99.9), Max: r.Max()}
}

// Bucket is one bucket of a histogram export: Count samples that are at
// most LE and above the LE of the bucket before it.
type Bucket struct {
	LE    time.Duration `json:"le_ns"`
	Count int64         `json:"count"`
}

// Buckets returns the non-empty buckets at full resolution (128 per power
// of two) in increasing order of LE (nil when empty). The counts add up to
// Count(); the last LE is the largest sample (values beyond the
// histogram's range land there too).
func (r *Recorder) Buckets() []Bucket { return r.BucketsPerOctave(sub) }

// BucketsPerOctave is Buckets with the buckets merged to n per power of two
// (n is rounded down to a power of two in 1..128; values below 128 ns stay
// exact): a shorter export, whose percentiles are within 1/n of the
// recorder's.
func (r *Recorder) BucketsPerOctave(n int) []Bucket {
	shift := subBits
	for n > 1 && shift > 0 {
		n >>= 1
		shift--
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Bucket
	group := func(i int) int { // the last bucket index of i's group
		if i < sub {
			return i
		}
		return sub + ((i-sub)>>shift+1)<<shift - 1
	}
	for i := 0; i < len(r.counts); {
		last := min(group(i), len(r.counts)-1)
		var c int64
		for ; i <= last; i++ {
			c += r.counts[i]
		}
		if c > 0 {
			out = append(out, Bucket{LE: time.Duration(upper(last)), Count: c})
		}
	}
	if len(out) > 0 {
		out[len(out)-1].LE = r.max // the top bucket holds the max
	}
	return out
}
