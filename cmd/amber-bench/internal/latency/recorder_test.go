package latency

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// exact is the nearest-rank percentile of sorted samples.
func exact(sorted []time.Duration, p float64) time.Duration {
	if p <= 0 {
		return sorted[0]
	}
	rank := int(p / 100 * float64(len(sorted)))
	if float64(rank) < p/100*float64(len(sorted)) {
		rank++
	}
	return sorted[max(rank, 1)-1]
}

func TestPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(n int, f func(i int) time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name    string
		samples []time.Duration
	}{
		{"single", []time.Duration{1234567}},
		{"two", []time.Duration{10 * time.Microsecond, 90 * time.Millisecond}},
		{"small exact values", gen(100, func(i int) time.Duration { return time.Duration(i) })},
		{"uniform 1us..1s", gen(10000, func(int) time.Duration { return time.Microsecond + time.Duration(rng.Int64N(int64(time.Second))) })},
		{"exponential", gen(20000, func(int) time.Duration { return time.Duration(rng.ExpFloat64() * float64(time.Millisecond)) })},
		{"bimodal with outliers", gen(1000, func(i int) time.Duration {
			if i%100 == 0 {
				return 2 * time.Second
			}
			return time.Duration(100+i%7) * time.Microsecond
		})},
		{"zeros and negatives", []time.Duration{0, -5, 0, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Recorder
			for _, s := range tt.samples {
				r.Record(s)
			}
			sorted := slices.Clone(tt.samples)
			for i := range sorted {
				sorted[i] = max(sorted[i], 0)
			}
			slices.Sort(sorted)
			if got := r.Count(); got != int64(len(sorted)) {
				t.Fatalf("Count = %d, want %d", got, len(sorted))
			}
			for _, p := range []float64{0, 1, 25, 50, 90, 99, 99.9, 100} {
				want := exact(sorted, p)
				got := r.Percentile(p)
				// The histogram answers the top of the bucket holding the
				// exact value: never below it, at most 1/128 above.
				if got < want || float64(got-want) > float64(want)/128+1 {
					t.Errorf("p%v = %v, want %v (within 1/128)", p, got, want)
				}
			}
			if r.Max() != sorted[len(sorted)-1] || r.Percentile(0) != sorted[0] {
				t.Errorf("min/max = %v/%v, want %v/%v", r.Percentile(0), r.Max(), sorted[0], sorted[len(sorted)-1])
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	var r Recorder
	if s := r.Summary(); s != (Summary{}) {
		t.Fatalf("empty summary = %+v", s)
	}
}

func TestBuckets(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<20 + 1, 1 << 40, 1 << 47} {
		b := bucket(v)
		if b < prev {
			t.Errorf("bucket(%d) = %d is below the previous bucket %d", v, b, prev)
		}
		if u := upper(b); u < v || (v >= sub && float64(u-v) > float64(v)/sub) {
			t.Errorf("upper(bucket(%d)) = %d", v, u)
		}
		prev = b
	}
	if bucket(1<<62) != nBucket-1 {
		t.Errorf("huge value not clamped to the last bucket")
	}
}

func TestMergeConcurrent(t *testing.T) {
	var total Recorder
	parts := make([]Recorder, 8)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() {
			for j := 1; j <= 1000; j++ {
				parts[i].Record(time.Duration(j) * time.Microsecond)
				total.Record(time.Duration(j) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	var merged Recorder
	for i := range parts {
		merged.Merge(&parts[i])
	}
	if merged.Summary() != total.Summary() {
		t.Fatalf("merged %+v != direct %+v", merged.Summary(), total.Summary())
	}
	if merged.Count() != 8000 || merged.Percentile(50) < 500*time.Microsecond || merged.Percentile(50) > 505*time.Microsecond {
		t.Fatalf("merged p50 = %v count %d", merged.Percentile(50), merged.Count())
	}
}

func TestBucketsExport(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		want    []Bucket
	}{
		{"empty", nil, nil},
		{"exact small values", []time.Duration{3, 1, 3, 0, -2}, []Bucket{{0, 2}, {1, 1}, {3, 2}}},
		{"top bucket clamped to the max", []time.Duration{1000, 1001}, []Bucket{{1001, 2}}},
		{"beyond the range", []time.Duration{time.Millisecond, 1 << 62}, []Bucket{{time.Duration(upper(bucket(int64(time.Millisecond)))), 1}, {1 << 62, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Recorder
			for _, s := range tt.samples {
				r.Record(s)
			}
			if got := r.Buckets(); !slices.Equal(got, tt.want) {
				t.Fatalf("Buckets = %v, want %v", got, tt.want)
			}
		})
	}
}

// The export agrees with the recorder at every resolution: counts add up,
// LEs increase, and the nearest-rank percentile read from the buckets is
// Percentile's (exactly at full resolution, within 1/n at n per octave).
func TestBucketsAgreeWithPercentile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var r Recorder
	for range 5000 {
		r.Record(time.Microsecond + time.Duration(rng.ExpFloat64()*float64(time.Millisecond)))
	}
	r.Record(50) // an exact small value
	for _, n := range []int{128, 200, 32, 16, 1, 0} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			bs := r.BucketsPerOctave(n)
			if n == 128 && !slices.Equal(bs, r.Buckets()) {
				t.Fatal("BucketsPerOctave(128) != Buckets()")
			}
			var total int64
			for i, b := range bs {
				if b.Count <= 0 || (i > 0 && b.LE <= bs[i-1].LE) {
					t.Fatalf("bucket %d = %+v after %+v", i, b, bs[max(i-1, 0)])
				}
				total += b.Count
			}
			if total != r.Count() || bs[len(bs)-1].LE != r.Max() || bs[0] != (Bucket{50, 1}) {
				t.Fatalf("total %d (want %d), first %+v, last LE %v (want max %v)", total, r.Count(), bs[0], bs[len(bs)-1].LE, r.Max())
			}
			per := float64(min(max(n, 1), 128))
			if n == 200 {
				per = 128
			}
			for _, p := range []float64{1, 50, 90, 99, 99.9} {
				rank := int64(math.Ceil(p / 100 * float64(total)))
				var cum int64
				for _, b := range bs {
					if cum += b.Count; cum >= rank {
						want := r.Percentile(p)
						if b.LE < want || float64(b.LE-want) > float64(want)*2/per+1 {
							t.Errorf("p%v from buckets = %v, Percentile = %v", p, b.LE, want)
						}
						if per == 128 && b.LE != want {
							t.Errorf("p%v from full buckets = %v, Percentile = %v", p, b.LE, want)
						}
						break
					}
				}
			}
		})
	}
}
