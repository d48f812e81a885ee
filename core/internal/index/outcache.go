package index

import (
	"sync"

	"github.com/amber-electrum/amber/sdk"
)

// outCache keeps, in memory, the outputs of the sync's recently committed
// batches that no batch has spent since, so that a spend of one of them
// needs no store lookup (a pebble point read cost about 8 µs of CPU per
// input in the initial sync's profile). It is ElectrumX's UTXO cache in
// spirit, but read-only with respect to the store: every output in it is
// also an O row of the store, so it changes no row, no commit and nothing a
// crash leaves behind.
//
// Contents: after the sequencer's hand-off of batch n (see
// pipeline.retire), the outputs created by batches up to n-1 and not spent
// by any of them, as far as the memory budget holds them. Spends of batches
// n and n+1 are in the pipeline's layers, which the sequencer checks before
// the cache (pipeline.spend).
//
// Only the sequencer writes, under mu; workers read under mu's read lock
// to skip their store lookups; the sequencer reads without the lock (it is
// the only writer). Eviction is by age, two generations: outputs enter
// young; when young holds half the budget, old is dropped and young becomes
// old.
//
// pending holds the txids of the blocks parsed by the workers and not yet
// retired: their outputs are in no store row yet, so a worker need not
// look them up (the sequencer finds them in its layers, or in the cache
// once their batch is retired).
type outCache struct {
	mu         sync.RWMutex
	young, old map[outpoint]outVal
	maxGen     int // entries per generation (0: the cache is off)
	pending    map[sdk.Hash]struct{}
}

// outCacheEntryBytes is the estimated memory of one cached output (key,
// value and the map's overhead).
const outCacheEntryBytes = liveEntryBytes

// testOutCacheBytes, when set, replaces the cache's budget (tests: the
// in-memory store gives the batches all of SyncCacheBytes, which leaves
// the cache none).
var testOutCacheBytes int64

func newOutCache(budget int64) *outCache {
	c := &outCache{maxGen: int(budget / 2 / outCacheEntryBytes), pending: make(map[sdk.Hash]struct{})}
	if c.maxGen > 0 {
		c.young = make(map[outpoint]outVal)
	}
	return c
}

// get finds op. Callers other than the sequencer hold mu's read lock.
func (c *outCache) get(op outpoint) (outVal, bool) {
	if c == nil || c.maxGen == 0 {
		return outVal{}, false
	}
	if ov, ok := c.young[op]; ok {
		return ov, true
	}
	ov, ok := c.old[op]
	return ov, ok
}

// inMemoryLocked reports whether op is cached or an output of a pending
// block; the caller holds the read lock.
func (c *outCache) inMemoryLocked(op outpoint) bool {
	if c.maxGen == 0 {
		// No cache: a pending block's outputs will be in no layer of
		// the sequencer once its batch is committed, so a lookup now
		// (the prefetch) is what saves one later.
		return false
	}
	if _, ok := c.pending[op.txid]; ok {
		return true
	}
	_, ok := c.get(op)
	return ok
}

// addPending records the txids of a parsed block (workers).
func (c *outCache) addPending(txids []sdk.Hash) {
	if c == nil {
		return
	}
	c.mu.Lock()
	for _, id := range txids {
		c.pending[id] = struct{}{}
	}
	c.mu.Unlock()
}

// retire takes a committed batch's layer: its blocks are no longer
// pending, its spends leave the cache, its unspent outputs enter it.
func (c *outCache) retire(l *layer) {
	if c == nil || l == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ids := range l.txids {
		for _, id := range ids {
			delete(c.pending, id)
		}
	}
	if c.maxGen == 0 {
		return
	}
	for op := range l.spent {
		delete(c.young, op)
		delete(c.old, op)
	}
	for op, ov := range l.live {
		if len(c.young) >= c.maxGen {
			// The dropped generation's map, cleared, becomes the new
			// young one: it keeps its room for maxGen entries, and no
			// map of that size is allocated (and collected) per roll.
			dropped := c.old
			c.old = c.young
			if dropped != nil {
				clear(dropped)
				c.young = dropped
			} else {
				c.young = make(map[outpoint]outVal, c.maxGen)
			}
		}
		c.young[op] = ov
		// A duplicate txid (BIP30) overwrites the O row: the older entry
		// must not answer.
		delete(c.old, op)
	}
}

// len is the number of cached outputs (tests).
func (c *outCache) len() int {
	if c == nil {
		return 0
	}
	return len(c.young) + len(c.old)
}
