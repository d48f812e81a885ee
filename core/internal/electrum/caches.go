package electrum

import (
	"hash"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/sdk"
)

// historyEntry is a cached confirmed history, or the "history too large"
// outcome (docs/protocol.md, Caches and notifications: the list or the error is cached).
type historyEntry struct {
	confirmed []index.Confirmed
	tooLarge  bool
	// digest is the SHA-256 state after the confirmed part of the status
	// pre-image (cloned, never written after the fill), preLen that
	// part's length and status the status without a mempool part.
	digest hash.Hash
	preLen int
	status *string
	// confJSON is the encoded confirmed items, comma-separated without
	// brackets, for histories of at most encodedHistoryMax entries (so the
	// cache's memory stays ~100 KB per hashX at most).
	confJSON []byte
}

// encodedHistoryMax bounds the histories whose encoding is cached.
const encodedHistoryMax = 1000

// hxCache maps hashX to an answer derived from its history: the confirmed
// history (historyCache), listunspent and get_balance. Touched hashXs are
// evicted on every index event (mempool rounds included) and the whole
// cache is cleared on reorg. A generation counter keeps a fill that raced
// with an eviction from re-inserting stale data.
type hxCache[V any] struct {
	mu  sync.Mutex
	gen uint64
	c   *lru.Cache[index.HashX, V]
}

// historyCache maps hashX to its confirmed history.
type historyCache = hxCache[historyEntry]

func newHistoryCache(size int) *historyCache { return newHXCache[historyEntry](size) }

func newHXCache[V any](size int) *hxCache[V] {
	c, _ := lru.New[index.HashX, V](size)
	return &hxCache[V]{c: c}
}

// utxoEntry is a cached listunspent answer and the index's cost count.
type utxoEntry struct {
	result jsonrpc.Encoded
	n      int
}

// balanceEntry is a cached get_balance answer and the index's cost count.
type balanceEntry struct {
	confirmed, unconfirmed int64
	n                      int
}

func (h *hxCache[V]) get(hx index.HashX) (V, uint64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.c.Get(hx)
	return e, h.gen, ok
}

func (h *hxCache[V]) put(hx index.HashX, e V, gen uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen == h.gen {
		h.c.Add(hx, e)
	}
}

func (h *hxCache[V]) evict(touched map[index.HashX]struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	for hx := range touched {
		h.c.Remove(hx)
	}
}

func (h *hxCache[V]) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	h.c.Purge()
}

// merkleCacheMin is the block size from which a cached merkle tree is
// charged the warm cost (docs/protocol.md, Caches and notifications); smaller blocks' trees
// are cached as well but charged as computed.
const merkleCacheMin = 200

// blockCache caches block txid lists and merkle trees,
// keyed by height. Both are cleared on reorg; a fill that started before a
// reorg is dropped.
type blockCache struct {
	mu    sync.Mutex
	gen   uint64
	txids *lru.Cache[int64, []sdk.Hash]
	trees *lru.Cache[int64, *merkle.Tree]
}

func newBlockCache(size int) *blockCache {
	t, _ := lru.New[int64, []sdk.Hash](size)
	m, _ := lru.New[int64, *merkle.Tree](size)
	return &blockCache{txids: t, trees: m}
}

func (b *blockCache) getTxids(h int64) ([]sdk.Hash, uint64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.txids.Get(h)
	return v, b.gen, ok
}

func (b *blockCache) putTxids(h int64, v []sdk.Hash, gen uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		return false
	}
	b.txids.Add(h, v)
	return true
}

// tree returns the cached merkle tree of block h, building and caching it
// when absent; warm reports whether it already existed.
func (b *blockCache) tree(h int64, txids []sdk.Hash, gen uint64) (t *merkle.Tree, warm bool) {
	b.mu.Lock()
	t, ok := b.trees.Get(h)
	b.mu.Unlock()
	if ok && t.Len() == len(txids) {
		return t, true
	}
	t = merkle.NewTree(txids)
	b.mu.Lock()
	if gen == b.gen {
		b.trees.Add(h, t)
	}
	b.mu.Unlock()
	return t, false
}

func (b *blockCache) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	b.txids.Purge()
	b.trees.Purge()
}

// feeKey is an estimatefee cache key: bucketed target and mode.
type feeKey struct {
	target int64
	mode   string
}

type feeEntry struct {
	mu    sync.Mutex // coalesces concurrent misses of one key
	tip   sdk.Hash
	valid bool
	rate  float64
}

// feeCache keeps one estimate per (target, mode) while the chain tip hash
// is unchanged (SP22). Keys are bounded by the bucketing (< 100 targets ×
// 3 modes), so a plain map is enough.
type feeCache struct {
	mu sync.Mutex
	m  map[feeKey]*feeEntry
}

func newFeeCache() *feeCache { return &feeCache{m: make(map[feeKey]*feeEntry)} }

func (f *feeCache) get(k feeKey, tip sdk.Hash, fill func() (float64, error)) (float64, error) {
	f.mu.Lock()
	e := f.m[k]
	if e == nil {
		e = &feeEntry{}
		f.m[k] = e
	}
	f.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.valid && e.tip == tip {
		return e.rate, nil
	}
	r, err := fill()
	if err != nil {
		return 0, err
	}
	e.tip, e.rate, e.valid = tip, r, true
	return r, nil
}
