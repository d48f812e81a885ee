package syncbench

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/amber-electrum/amber/core/regtest"
)

// Defaults of Options: what amberd's own sync does. Its prefetcher
// (core/internal/index/run.go, syncForward) makes one Chain.Blocks call of
// FetchBlocks = 200 blocks at a time, bounded by a 64 MiB byteBudget of
// fetched, unapplied blocks; the amber-bitcoind plugin
// (plugins/internal/chainbackend/blocks.go, Blocks) serves such a call with
// batches of batch_size = 50 (backend.DefaultBatchSize): one getblockhash
// batch, then one getblock <hash> 0 batch, the next batch fetched while the
// current one is handed over, so one batch is in flight at a time.
const (
	DefaultBatchSize   = 50
	DefaultConcurrency = 1
)

// Options configures Fetch. Client is required.
type Options struct {
	Client      *regtest.Client
	BatchSize   int // blocks per getblockhash/getblock batch (default DefaultBatchSize)
	Concurrency int // batches in flight (default DefaultConcurrency)
	// Progress, if set, is called (serially) whenever the height done (every
	// block up to it fetched) advances.
	Progress func(height, tip int64, elapsed time.Duration)
}

// Result is one raw fetch of blocks 0..Tip.
type Result struct {
	Tip         int64         `json:"tip"`
	TipHash     string        `json:"tip_hash"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Blocks      int64         `json:"blocks"`
	Txs         int64         `json:"txs"`
	Bytes       int64         `json:"bytes"`
	BlocksPerS  float64       `json:"blocks_per_s"`
	TxsPerS     float64       `json:"txs_per_s"`
	MBPerS      float64       `json:"mb_per_s"`
	BatchSize   int           `json:"batch_size"`
	Concurrency int           `json:"concurrency"`
	Series      []Point       `json:"series"`

	cumTxs, cumBytes []int64 // totals over heights 0..h
}

// TxsThrough is the number of transactions in blocks 0..h (0 below 0, all
// of them above the tip).
func (r *Result) TxsThrough(h int64) int64 { return through(r.cumTxs, h) }

// BytesThrough is the size of blocks 0..h.
func (r *Result) BytesThrough(h int64) int64 { return through(r.cumBytes, h) }

func through(cum []int64, h int64) int64 {
	switch {
	case h < 0 || len(cum) == 0:
		return 0
	case h >= int64(len(cum)):
		return cum[len(cum)-1]
	}
	return cum[h]
}

// Fetch fetches every block from 0 to the daemon's tip (read once at the
// start) and measures it.
func Fetch(ctx context.Context, o Options) (*Result, error) {
	if o.Client == nil {
		return nil, errors.New("syncbench: no client")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	tip, err := o.Client.GetBlockCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("syncbench: tip: %w", err)
	}
	n := tip + 1
	nb := (n + int64(o.BatchSize) - 1) / int64(o.BatchSize)
	txs, sizes := make([]int64, n), make([]int64, n)
	f := &fetcher{o: o, tip: tip, txs: txs, sizes: sizes, done: make([]bool, nb), upTo: -1}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int64)
	errc := make(chan error, o.Concurrency)
	var wg sync.WaitGroup
	f.start = time.Now()
	f.series = append(f.series, Point{0, -1})
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for k := range work {
				var err error
				if buf, err = f.batch(ctx, k, buf); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for k := range nb {
		select {
		case work <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(f.start)
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Result{Tip: tip, TipHash: f.tipHash, Elapsed: elapsed, Blocks: n, BatchSize: o.BatchSize,
		Concurrency: o.Concurrency, Series: f.series, cumTxs: txs, cumBytes: sizes}
	for h := range n {
		r.Txs += txs[h]
		r.Bytes += sizes[h]
		txs[h], sizes[h] = r.Txs, r.Bytes // running totals from here on
	}
	r.BlocksPerS = PerSecond(r.Blocks, elapsed)
	r.TxsPerS = PerSecond(r.Txs, elapsed)
	r.MBPerS = PerSecond(r.Bytes, elapsed) / 1e6
	return r, nil
}

type fetcher struct {
	o          Options
	tip        int64
	txs, sizes []int64 // per height; each written by the one worker of its batch
	start      time.Time

	mu      sync.Mutex
	done    []bool // per batch
	next    int64  // first batch not done
	upTo    int64  // height done
	series  []Point
	tipHash string
}

// batch fetches batch k into the per-height counts; buf is a reusable
// hex-decoding buffer.
func (f *fetcher) batch(ctx context.Context, k int64, buf []byte) ([]byte, error) {
	bs := int64(f.o.BatchSize)
	start := k * bs
	n := min(bs, f.tip+1-start)
	reqs := make([]regtest.Request, n)
	for i := range reqs {
		reqs[i] = regtest.Request{Method: "getblockhash", Params: []any{start + int64(i)}}
	}
	reps, err := f.o.Client.Batch(ctx, reqs)
	if err != nil {
		return buf, fmt.Errorf("syncbench: getblockhash %d..%d: %w", start, start+n-1, err)
	}
	hashes := make([]chainhash.Hash, n)
	for i, r := range reps {
		var s string
		if r.Err == nil {
			r.Err = json.Unmarshal(r.Result, &s)
		}
		if r.Err == nil {
			r.Err = chainhash.Decode(&hashes[i], s)
		}
		if r.Err != nil {
			return buf, fmt.Errorf("syncbench: getblockhash %d: %w", start+int64(i), r.Err)
		}
		reqs[i] = regtest.Request{Method: "getblock", Params: []any{s, 0}}
	}
	if reps, err = f.o.Client.Batch(ctx, reqs); err != nil {
		return buf, fmt.Errorf("syncbench: getblock %d..%d: %w", start, start+n-1, err)
	}
	for i, r := range reps {
		h := start + int64(i)
		if r.Err != nil {
			return buf, fmt.Errorf("syncbench: getblock %d: %w", h, r.Err)
		}
		if buf, err = decodeHexString(buf, r.Result); err != nil {
			return buf, fmt.Errorf("syncbench: getblock %d: %w", h, err)
		}
		ntx, err := TxCount(buf)
		if err != nil {
			return buf, fmt.Errorf("syncbench: block %d: %w", h, err)
		}
		if got := chainhash.DoubleHashH(buf[:HeaderSize]); got != hashes[i] {
			return buf, fmt.Errorf("syncbench: block %d hashes to %s, asked for %s", h, got, hashes[i])
		}
		f.txs[h], f.sizes[h] = int64(ntx), int64(len(buf))
	}
	f.finish(k, hashes[n-1].String())
	return buf, nil
}

// finish marks batch k done and advances the height done.
func (f *fetcher) finish(k int64, lastHash string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done[k] = true
	if k == int64(len(f.done))-1 {
		f.tipHash = lastHash
	}
	moved := false
	for f.next < int64(len(f.done)) && f.done[f.next] {
		f.next++
		moved = true
	}
	if !moved {
		return
	}
	f.upTo = min(f.next*int64(f.o.BatchSize)-1, f.tip)
	el := time.Since(f.start)
	f.series = append(f.series, Point{el.Seconds(), f.upTo})
	if f.o.Progress != nil {
		f.o.Progress(f.upTo, f.tip, el)
	}
}

// decodeHexString decodes a JSON string of hex digits into buf (reused when
// large enough).
func decodeHexString(buf []byte, js json.RawMessage) ([]byte, error) {
	js = bytes.TrimSpace(js)
	if len(js) < 2 || js[0] != '"' || js[len(js)-1] != '"' {
		return buf, errors.New("result is not a hex string")
	}
	js = js[1 : len(js)-1]
	n := hex.DecodedLen(len(js))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := hex.Decode(buf, js); err != nil {
		return buf, fmt.Errorf("decode hex: %w", err)
	}
	return buf, nil
}
