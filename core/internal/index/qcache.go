package index

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// queryCache keeps the confirmed part of the answers of History, Balance
// and ListUnspent between two store commits, so that a script asked for
// again (a wallet re-reading its addresses after each status change, many
// wallets watching one address) is not read from the store again. It is
// the in-memory shortcut buntdb has built in: a pebble scan costs about
// 0.1–0.2 µs a row (its merging, columnar iterator), buntdb's tens of ns.
//
// Consistency is a sequence lock over the store's writes: every commit of
// the index (writeStore) makes gen odd before it and even again after it.
// A reader fills the cache only when gen was even and unchanged across its
// View, so the entry is the state of that generation; an entry is served
// only while gen still equals it. A hit therefore answers from the last
// committed state, as a View started at that moment would, and never from
// half a commit. Each commit drops the whole cache (whatever it touched).
type queryCache struct {
	gen   atomic.Uint64
	mu    sync.Mutex
	at    uint64 // the generation the entries belong to
	bytes int
	hist  map[HashX][]Confirmed
	utxos map[HashX][]UTXO
	bal   map[HashX]balanceEntry
}

type balanceEntry struct {
	sum int64
	n   int
}

// queryCacheBytes bounds the rows the cache holds (past it, new answers
// are not kept until the next commit empties it).
const queryCacheBytes = 16 << 20

// entryOverhead is a rough cost of one map entry beside its rows.
const entryOverhead = 64

// writeStore runs one store commit of the index inside the cache's
// sequence lock.
func (c *queryCache) writeStore(fn func() error) error {
	c.gen.Add(1)
	defer c.gen.Add(1)
	return fn()
}

// begin returns the generation a read starts at and whether its answer
// may be cached (no commit under way).
func (c *queryCache) begin() (uint64, bool) {
	g := c.gen.Load()
	return g, g%2 == 0
}

// current reports whether entries of generation g may still be served and
// drops the cache when they may not; it is called with mu held.
func (c *queryCache) current(g uint64) bool {
	now := c.gen.Load()
	if c.at != now {
		c.at, c.bytes = now, 0
		c.hist, c.utxos, c.bal = nil, nil, nil
	}
	return g == now
}

func (c *queryCache) history(hx HashX) ([]Confirmed, bool) { return cacheGet(c, &c.hist, hx) }

func (c *queryCache) putHistory(g uint64, hx HashX, h []Confirmed) {
	cachePut(c, &c.hist, g, hx, h, entryOverhead+len(h)*int(unsafe.Sizeof(Confirmed{})))
}

func (c *queryCache) unspent(hx HashX) ([]UTXO, bool) { return cacheGet(c, &c.utxos, hx) }

func (c *queryCache) putUnspent(g uint64, hx HashX, u []UTXO) {
	cachePut(c, &c.utxos, g, hx, u, entryOverhead+len(u)*int(unsafe.Sizeof(UTXO{})))
}

func (c *queryCache) balance(hx HashX) (balanceEntry, bool) { return cacheGet(c, &c.bal, hx) }

func (c *queryCache) putBalance(g uint64, hx HashX, b balanceEntry) {
	cachePut(c, &c.bal, g, hx, b, entryOverhead)
}

// cacheGet returns hx's entry of m if the cache holds one of the current
// generation.
func cacheGet[V any](c *queryCache, m *map[HashX]V, hx HashX) (V, bool) {
	var zero V
	g, ok := c.begin()
	if !ok {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(g) {
		return zero, false
	}
	v, ok := (*m)[hx]
	return v, ok
}

// cachePut keeps v, read at generation g, as hx's entry of m, unless a
// commit came since or the cache is full.
func cachePut[V any](c *queryCache, m *map[HashX]V, g uint64, hx HashX, v V, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(g) || c.bytes+size > queryCacheBytes {
		return
	}
	if *m == nil {
		*m = make(map[HashX]V)
	}
	(*m)[hx] = v
	c.bytes += size
}
