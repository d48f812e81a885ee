package electrum

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/amber-electrum/amber/sdk"
)

// The raw-transaction cache of blockchain.transaction.get.
//
// A transaction's bytes never change for its txid once it is confirmed, so
// the answers for confirmed transactions are kept until a reorg clears the
// cache. Everything else is kept only until the next index event (a block
// or a mempool change): a mempool transaction may be evicted or replaced,
// and a verbose answer carries a confirmation count that changes with every
// block. Whether a transaction is confirmed comes from the daemon's verbose
// answer ("blockhash" and "confirmations"), so a miss of a non-verbose
// request asks the daemon for the verbose object and answers with its
// "hex"; a daemon whose verbose answer has no usable "hex" is asked again
// without verbose and that answer is kept until the next event. Errors,
// "not found" included, are never cached. Concurrent misses of one
// (txid, verbose) share a single daemon call.
//
// One known limit: a transaction the daemon reports confirmed in a block
// the index has not applied yet is kept even if that block is reorganised
// away before the index sees it (the index reports no reorg for a block it
// never had). Its bytes are still that txid's transaction; only a witness
// malleated between the two confirmations could differ.

// txEntryOverhead approximates the memory of one cache entry besides its
// answer bytes (key, entry, list element, map slot).
const txEntryOverhead = 160

// errTxNotFound is the daemon's "no such transaction" code (RPC_INVALID_ADDRESS_OR_KEY).
const errTxNotFound = -5

type txKey struct {
	txid    sdk.Hash
	verbose bool
}

type txEntry struct {
	res       json.RawMessage // the daemon's result: a JSON string or object
	confirmed bool            // valid until a reorg; else only while seq is current
	seq       uint64          // Server.eventSeq when the daemon was asked
}

// txFlight is one daemon call shared by the concurrent misses of a key.
type txFlight struct {
	done chan struct{}
	res  json.RawMessage
	err  error
}

// txCache is a byte-bounded LRU of transaction.get answers plus the table
// of daemon calls in flight. With maxBytes 0 nothing is kept but concurrent
// misses are still coalesced.
type txCache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	gen      uint64 // reorg generation: a fill that raced a reorg is dropped
	lru      *simplelru.LRU[txKey, txEntry]
	flights  map[txKey]*txFlight
}

func newTxCache(maxBytes int64) *txCache {
	c := &txCache{maxBytes: maxBytes, flights: make(map[txKey]*txFlight)}
	if maxBytes > 0 {
		c.lru, _ = simplelru.NewLRU(math.MaxInt, func(_ txKey, e txEntry) {
			c.bytes -= entrySize(e)
		})
	}
	return c
}

func entrySize(e txEntry) int64 { return int64(len(e.res)) + txEntryOverhead }

// get returns a valid cached answer; seq is the current event sequence.
func (c *txCache) get(k txKey, seq uint64) (json.RawMessage, bool) {
	if c.lru == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Get(k)
	if !ok {
		return nil, false
	}
	if !e.confirmed && e.seq != seq {
		c.lru.Remove(k)
		return nil, false
	}
	return e.res, true
}

// generation returns the reorg generation, read before asking the daemon.
func (c *txCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores e unless a reorg happened since gen was read, then evicts the
// least recently used entries until the cache fits its byte budget.
func (c *txCache) put(k txKey, e txEntry, gen uint64) {
	if c.lru == nil || entrySize(e) > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if old, ok := c.lru.Peek(k); ok {
		c.bytes -= entrySize(old) // Add replaces without the evict callback
	}
	c.lru.Add(k, e)
	c.bytes += entrySize(e)
	for c.bytes > c.maxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// clear drops every entry (reorg).
func (c *txCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.lru != nil {
		c.lru.Purge()
	}
}

// usage returns the entry count and the bytes accounted.
func (c *txCache) usage() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru == nil {
		return 0, 0
	}
	return c.lru.Len(), c.bytes
}

// join returns the flight of k and whether the caller started it (and
// must run it and call land).
func (c *txCache) join(k txKey) (*txFlight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[k]; ok {
		return f, false
	}
	f := &txFlight{done: make(chan struct{})}
	c.flights[k] = f
	return f, true
}

// land publishes a flight's outcome and forgets it.
func (c *txCache) land(k txKey, f *txFlight, res json.RawMessage, err error) {
	c.mu.Lock()
	delete(c.flights, k)
	c.mu.Unlock()
	f.res, f.err = res, err
	close(f.done)
}

// transaction answers transaction.get from the cache or the daemon. The
// daemon call runs detached from the caller (bounded by DaemonTimeout) so
// that a caller giving up does not fail the others waiting for it; each
// caller waits at most until its own daemon deadline.
func (srv *Server) transaction(ctx context.Context, txid sdk.Hash, verbose bool) (json.RawMessage, error) {
	k := txKey{txid, verbose}
	srv.stats.TxLookups.Add(1)
	if res, ok := srv.txs.get(k, srv.eventSeq.Load()); ok {
		srv.stats.TxHits.Add(1)
		return res, nil
	}
	f, leader := srv.txs.join(k)
	if leader {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), srv.opts.DaemonTimeout)
		go func() {
			defer cancel()
			res, err := srv.fillTx(fctx, k)
			srv.txs.land(k, f, res, err)
		}()
	} else {
		srv.stats.TxCoalesced.Add(1)
	}
	dctx, cancel := srv.daemonCtx(ctx)
	defer cancel()
	select {
	case <-f.done:
		return f.res, f.err
	case <-dctx.Done():
		return nil, dctx.Err()
	}
}

// fillTx asks the daemon for k and caches the answer (never an error).
func (srv *Server) fillTx(ctx context.Context, k txKey) (json.RawMessage, error) {
	seq, gen := srv.eventSeq.Load(), srv.txs.generation()
	v, err := srv.daemon.Transaction(ctx, k.txid, true)
	if err == nil && !json.Valid(v) {
		err = sdk.Errorf(sdk.KindInternal, "daemon plugin: invalid JSON for transaction %s", k.txid)
	}
	if err == nil {
		hexRes, confirmed, ok := parseVerboseTx(v, k.txid)
		if !k.verbose && !ok {
			return srv.fillRawTx(ctx, k, seq, gen)
		}
		srv.txs.put(txKey{k.txid, true}, txEntry{res: v, seq: seq}, gen)
		if ok {
			srv.txs.put(txKey{k.txid, false}, txEntry{res: hexRes, confirmed: confirmed, seq: seq}, gen)
		}
		if k.verbose {
			return v, nil
		}
		return hexRes, nil
	}
	if k.verbose || ctx.Err() != nil || isNotFound(err) {
		return nil, err
	}
	// Any other failure of the verbose call: the non-verbose answer (or
	// error) is what the client asked for.
	return srv.fillRawTx(ctx, k, seq, gen)
}

// fillRawTx asks the daemon for the non-verbose answer; without knowing
// whether the transaction is confirmed it is kept until the next event.
func (srv *Server) fillRawTx(ctx context.Context, k txKey, seq, gen uint64) (json.RawMessage, error) {
	r, err := srv.daemon.Transaction(ctx, k.txid, false)
	if err != nil {
		return nil, err
	}
	if !json.Valid(r) {
		return nil, sdk.Errorf(sdk.KindInternal, "daemon plugin: invalid JSON for transaction %s", k.txid)
	}
	srv.txs.put(k, txEntry{res: r, seq: seq}, gen)
	return r, nil
}

func isNotFound(err error) bool {
	var se *sdk.Error
	return errors.As(err, &se) && se.Kind == sdk.KindDaemon && se.DaemonCode == errTxNotFound
}

// parseVerboseTx extracts from a verbose getrawtransaction object the
// non-verbose answer (the "hex" string as JSON) and whether the daemon
// reports the transaction confirmed. ok is false when the object lacks a
// hex string or names another txid.
func parseVerboseTx(v json.RawMessage, txid sdk.Hash) (hexRes json.RawMessage, confirmed, ok bool) {
	var obj struct {
		Txid          string          `json:"txid"`
		Hex           json.RawMessage `json:"hex"`
		BlockHash     string          `json:"blockhash"`
		Confirmations int64           `json:"confirmations"`
	}
	if json.Unmarshal(v, &obj) != nil || obj.Txid != txid.String() {
		return nil, false, false
	}
	h := obj.Hex
	if len(h) < 4 || h[0] != '"' || h[len(h)-1] != '"' || !isLowerHex(h[1:len(h)-1]) {
		return nil, false, false
	}
	return h, obj.BlockHash != "" && obj.Confirmations >= 1, true
}

func isLowerHex(b []byte) bool {
	if len(b)%2 != 0 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
