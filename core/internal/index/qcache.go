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
// only while gen still equals the cache's generation. A hit therefore
// answers from the last committed state, as a View started at that moment
// would, and never from half a commit. A commit that names the scripts it
// touched (a block after catch-up, a revert, a prune of undo rows) drops
// only their entries and carries the rest into the new generation, under
// mu as gen turns even: an untouched script's rows are the same before and
// after it. A commit that does not know (the initial sync's batches) or
// that failed drops the whole cache.
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
// sequence lock. touched holds the scripts whose rows the commit may
// change (nil: unknown, any script).
func (c *queryCache) writeStore(touched touchSet, fn func() error) error {
	c.gen.Add(1)
	err := fn()
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.gen.Add(1)
	if err != nil || touched == nil || c.at != now-2 {
		// Dropped by the next reader (current): the entries belong to
		// an older generation.
		return err
	}
	for hx := range touched {
		if h, ok := c.hist[hx]; ok {
			c.bytes -= historySize(h)
			delete(c.hist, hx)
		}
		if u, ok := c.utxos[hx]; ok {
			c.bytes -= unspentSize(u)
			delete(c.utxos, hx)
		}
		if _, ok := c.bal[hx]; ok {
			c.bytes -= entryOverhead
			delete(c.bal, hx)
		}
	}
	c.at = now
	return nil
}

func historySize(h []Confirmed) int { return entryOverhead + len(h)*int(unsafe.Sizeof(Confirmed{})) }
func unspentSize(u []UTXO) int      { return entryOverhead + len(u)*int(unsafe.Sizeof(UTXO{})) }

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
	cachePut(c, &c.hist, g, hx, h, historySize(h))
}

func (c *queryCache) unspent(hx HashX) ([]UTXO, bool) { return cacheGet(c, &c.utxos, hx) }

func (c *queryCache) putUnspent(g uint64, hx HashX, u []UTXO) {
	cachePut(c, &c.utxos, g, hx, u, unspentSize(u))
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
