package metrics

import (
	"sync"
	"sync/atomic"
)

// cowMap is a copy-on-write map for small, bounded key sets read on the hot
// path: lookups are one atomic load and a map read, with no lock and no
// allocation; inserts copy the map under a mutex.
type cowMap[K comparable, V any] struct {
	mu    sync.Mutex
	p     atomic.Pointer[map[K]V]
	limit int // maximum entries; 0 means unbounded
}

// get returns the value for k, creating it with mk on a miss. It reports
// false, without calling mk, when k is missing and the map is full.
func (c *cowMap[K, V]) get(k K, mk func() V) (V, bool) {
	if mp := c.p.Load(); mp != nil {
		if v, ok := (*mp)[k]; ok {
			return v, true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]V
	if mp := c.p.Load(); mp != nil {
		old = *mp
	}
	if v, ok := old[k]; ok {
		return v, true
	}
	if c.limit > 0 && len(old) >= c.limit {
		var zero V
		return zero, false
	}
	nm := make(map[K]V, len(old)+1)
	for kk, vv := range old {
		nm[kk] = vv
	}
	v := mk()
	nm[k] = v
	c.p.Store(&nm)
	return v, true
}
