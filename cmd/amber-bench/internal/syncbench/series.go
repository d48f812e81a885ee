package syncbench

import "time"

// Point is one sample of a sync's progress: seconds since the start and
// the height reached (every block up to it done).
type Point struct {
	TSec   float64 `json:"t_s"`
	Height int64   `json:"height"`
}

// Thin returns at most max points of pts, evenly spread over its indices,
// the first and the last always kept (pts itself if it is short enough or
// max < 2).
func Thin[T any](pts []T, max int) []T {
	if max < 2 || len(pts) <= max {
		return pts
	}
	out := make([]T, 0, max)
	last := len(pts) - 1
	for k := range max {
		out = append(out, pts[k*last/(max-1)])
	}
	return out
}

// PerSecond is n per second over d (0 if d is not positive).
func PerSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Ratio is a/b (0 if b is not positive).
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Better returns whichever of a and b has the higher block rate (a on a
// tie, the non-nil one if one is nil) and whether that is b.
func Better(a, b *Result) (*Result, bool) {
	switch {
	case a == nil:
		return b, b != nil
	case b == nil:
		return a, false
	case b.BlocksPerS > a.BlocksPerS:
		return b, true
	}
	return a, false
}
