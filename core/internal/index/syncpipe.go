package index

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// The forward sync is a pipeline of four stages:
//
//  1. the fetcher streams blocks from the daemon plugin (bounded by
//     PrefetchBytes of raw blocks);
//  2. GOMAXPROCS workers parse them, hash their output scripts and look up
//     in the store the outputs their inputs spend (blockWork), except those
//     the sequencer will find in memory: outputs of the batch in flight, of
//     blocks not yet retired, or in the cache of recent outputs (outCache);
//  3. the sequencer takes the blocks in chain order, checks that each
//     connects, assigns tx_nums, resolves every spent output (prepare.go)
//     and accumulates the rows of a batch in memory;
//  4. a commit goroutine writes a closed batch in one store transaction with
//     the state record, in key order (sortBatch), while the sequencer
//     prepares the next batch; once it is committed, the batch's unspent
//     outputs move to the cache of recent outputs.
//
// A batch closes when the sync target is reached, when it holds
// SyncCacheBytes/3 of prepared rows (at most two batches and the store's
// copy of one are in memory), after BatchBlocks blocks when that is set,
// when the commit goroutine is idle and no further block is ready if the
// batch holds a quarter of that or has been open for idleBatchAge, and
// after every block once the index has caught up. Crash safety is that of
// the single-batch commit: each batch is one atomic transaction with the
// state, so a crash leaves exactly the last committed batch.
type pipeline struct {
	ix         *Index
	target     int64
	batchBytes int64
	// undoFloor: blocks at or below it get no undo record. They are
	// ReorgLimit or more below the sync target, so no reorg the undo data
	// could serve reaches them, and their records would only be written
	// and deleted again within the sync (as ElectrumX, which writes no
	// undo information below the daemon's height − REORG_LIMIT).
	undoFloor int64
	keepTxs   bool // the mempool is not empty: keep blockTxs for it
	// track: collect the touched hashXs (caught up, or a reorg is held);
	// during the initial sync nobody is notified, so they are not kept.
	track bool
	// committed counts the batches committed by this pipeline (read by
	// the workers to date their lookups).
	committed atomic.Int64
	// prev is the layer of the last batch handed to the committer (nil
	// before the first); the sequencer drops it when it hands off the next.
	prev     *layer
	inflight *commitJob
	// prevPub is prev for the workers (they skip the lookups of outputs
	// it holds); cache holds the outputs of older committed batches.
	prevPub atomic.Pointer[layer]
	cache   *outCache
	stats   spendStats
	times   stageTimes
}

// stageTimes is where the forward sync's stages spent their time (logged at
// the end of a forward sync, at debug level): the sequencer waiting for the
// next parsed block, preparing blocks, and waiting for the commit in flight
// before handing off a batch; the committer building the store's batch
// (sort and copy) and the store committing it.
type stageTimes struct {
	seqWaitBlock, seqPrepare, seqWaitCommit atomic.Int64 // ns
	// The committer: handing the sorted rows to the store (with a bulk
	// load this includes building its tables) and the store's commit
	// (with a bulk load, its ingestion).
	commitFill, commitStore atomic.Int64 // ns
	// The fetcher: waiting for the daemon plugin's next block, for the
	// prefetch budget, for room in the workers' and sequencer's queues.
	fetchWaitPlugin, fetchWaitBudget, fetchWaitQueue atomic.Int64 // ns
}

func since(t time.Time) int64 { return int64(time.Since(t)) }

func ms(ns int64) int64 { return ns / 1e6 }

// spendStats counts where the pipeline's spent outputs were resolved
// without the store, and the store lookups made (logged at the end of a
// forward sync).
type spendStats struct {
	prevSkips, cacheSkips atomic.Int64 // worker lookups skipped
	workerGets, seqGets   atomic.Int64 // store lookups by workers, by the sequencer
}

type commitJob struct {
	b    *syncBatch
	done chan error
	fin  bool
	err  error
}

// wait returns the job's result, waiting for it.
func (j *commitJob) wait() error {
	if !j.fin {
		j.err, j.fin = <-j.done, true
	}
	return j.err
}

// idle reports whether the job has finished, without waiting.
func (j *commitJob) idle() bool {
	if j.fin {
		return true
	}
	select {
	case j.err = <-j.done:
		j.fin = true
		return true
	default:
		return false
	}
}

// syncForward indexes blocks our height+1..target (see pipeline).
func (ix *Index) syncForward(ctx context.Context, target int64) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	pl := &pipeline{ix: ix, target: target, batchBytes: ix.syncBatchBytes(), undoFloor: target - int64(ix.reorgLimit)}
	pl.cache = newOutCache(ix.outCacheBytes(pl.batchBytes))
	ix.mp.mu.RLock()
	pl.keepTxs = len(ix.mp.txs) > 0
	ix.mp.mu.RUnlock()
	pl.track = ix.caughtUp || ix.reorgTouched != nil
	st := ix.state()
	start := st.height + 1
	ix.meter.add(ix.now(), st.height, st.txCount)

	order := make(chan *blockWork, 4*runtime.GOMAXPROCS(0)+ix.opts.FetchBlocks)
	work := make(chan *blockWork, cap(order))
	budget := newByteBudget(ix.opts.PrefetchBytes)
	var wg sync.WaitGroup
	defer func() {
		if pl.inflight != nil {
			// A failed commit outranks what the sequencer saw after it.
			if cerr := pl.inflight.wait(); cerr != nil && (err == nil || errors.Is(err, errNeedReorg)) {
				err = cerr
			}
		}
		cancel()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(work)
		defer close(order)
		pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("sync", "fetch")))
		ix.fetch(ctx, start, target, budget, order, work, &pl.times)
	}()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("sync", "worker")))
			for w := range work {
				if ctx.Err() != nil {
					w.err = ctx.Err()
					close(w.done)
					continue
				}
				pl.work(ctx, w)
			}
		}()
	}
	defer func() {
		s := &pl.stats
		ix.log.Debug("forward sync: spent outputs", "from_layer_in_flight", s.prevSkips.Load(),
			"from_cache_or_pending", s.cacheSkips.Load(), "worker_lookups", s.workerGets.Load(),
			"sequencer_lookups", s.seqGets.Load(), "cached", pl.cache.len())
		t := &pl.times
		ix.log.Debug("forward sync: stage times", "seq_wait_block_ms", ms(t.seqWaitBlock.Load()),
			"seq_prepare_ms", ms(t.seqPrepare.Load()), "seq_wait_commit_ms", ms(t.seqWaitCommit.Load()),
			"commit_fill_ms", ms(t.commitFill.Load()), "commit_store_ms", ms(t.commitStore.Load()),
			"fetch_wait_plugin_ms", ms(t.fetchWaitPlugin.Load()), "fetch_wait_budget_ms", ms(t.fetchWaitBudget.Load()),
			"fetch_wait_queue_ms", ms(t.fetchWaitQueue.Load()))
	}()
	// The sequencer runs on the caller's goroutine: label it for CPU
	// profiles (per-stage views), then restore the caller's labels.
	defer pprof.SetGoroutineLabels(ctx)
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("sync", "sequencer")))
	return pl.sequence(ctx, st, order, budget)
}

// outCacheBytes is the memory of the forward sync's cache of recent
// outputs: what SyncCacheBytes leaves beside the three batches it bounds
// (batchBytes is often capped below a third by the store), at most a
// quarter of SyncCacheBytes.
func (ix *Index) outCacheBytes(batchBytes int64) int64 {
	if testOutCacheBytes != 0 {
		return testOutCacheBytes
	}
	return max(0, min(ix.opts.SyncCacheBytes-3*batchBytes, ix.opts.SyncCacheBytes/4))
}

// syncBatchBytes is the row budget of one initial-sync batch: a third of
// SyncCacheBytes (the batch being prepared, the one being committed and the
// store's copy of it), and no more than the store commits without stalling
// (store.BatchSizer).
func (ix *Index) syncBatchBytes() int64 {
	n := ix.opts.SyncCacheBytes / 3
	if bs, ok := ix.st.(store.BatchSizer); ok {
		if m := bs.SyncBatchBytes(); m > 0 {
			n = min(n, m)
		}
	}
	return max(n, 1)
}

// fetch streams blocks start..target into order (and work, for the
// workers). A failure is sent as a finished blockWork carrying the error.
func (ix *Index) fetch(ctx context.Context, start, target int64, budget *byteBudget, order, work chan<- *blockWork, times *stageTimes) {
	send := func(ch chan<- *blockWork, w *blockWork) error {
		select {
		case ch <- w:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for s := start; s <= target; {
		n := int(min(int64(ix.opts.FetchBlocks), target-s+1))
		next := s
		t := time.Now()
		err := ix.chain.Blocks(ctx, s, n, func(b sdk.Block) error {
			t1 := time.Now()
			times.fetchWaitPlugin.Add(int64(t1.Sub(t)))
			defer func() { t = time.Now() }()
			if b.Height != next {
				return fmt.Errorf("daemon sent block %d, want %d", b.Height, next)
			}
			next++
			w := &blockWork{raw: b, size: int64(len(b.Raw)), done: make(chan struct{})}
			if err := budget.acquire(ctx, w.size); err != nil {
				return err
			}
			t2 := time.Now()
			times.fetchWaitBudget.Add(int64(t2.Sub(t1)))
			defer func() { times.fetchWaitQueue.Add(since(t2)) }()
			if err := send(order, w); err != nil {
				return err
			}
			return send(work, w)
		})
		if err == nil && next == s {
			err = fmt.Errorf("daemon returned no blocks from %d", s)
		}
		if err != nil {
			w := &blockWork{err: fmt.Errorf("fetch blocks from %d: %w", next, err), done: make(chan struct{})}
			close(w.done)
			_ = send(order, w)
			return
		}
		s = next
	}
}

// sequence is the sequencer stage: it prepares the blocks from order into
// batches and hands them to the committer.
func (pl *pipeline) sequence(ctx context.Context, st state, order <-chan *blockWork, budget *byteBudget) error {
	ix := pl.ix
	cur := newSyncBatch(1, st, nil)
	cur.tracked = pl.track
	var ahead *blockWork // received from order, not yet prepared
	closed := false      // order is closed and drained
	// next returns the next block, waiting for it if wait; with a timeout
	// it returns nil when the timeout fires first (timedOut tells).
	timedOut := false
	next := func(wait bool, timeout <-chan time.Time) *blockWork {
		timedOut = false
		if ahead != nil || closed {
			return ahead
		}
		if wait {
			select {
			case w, ok := <-order:
				ahead, closed = w, !ok
			case <-timeout:
				timedOut = true
			case <-ctx.Done():
			}
		} else {
			select {
			case w, ok := <-order:
				ahead, closed = w, !ok
			default:
			}
		}
		return ahead
	}
	ready := func() bool {
		w := next(false, nil)
		if w == nil {
			return false
		}
		select {
		case <-w.done:
			return true
		default:
			return false
		}
	}
	var opened time.Time // when cur took its first block
	flush := func() error {
		if cur.empty() {
			return nil
		}
		err := pl.handoff(ctx, cur)
		cur = newSyncBatch(cur.num+1, cur.st, cur)
		cur.tracked = pl.track
		return err
	}
	for {
		t0 := time.Now()
		// A batch held open waits for the next block at most until it is
		// idleBatchAge old; then it is committed as it is.
		var age *time.Timer
		var ageC <-chan time.Time
		if !cur.empty() {
			age = time.NewTimer(max(idleBatchAge-time.Since(opened), 0))
			ageC = age.C
		}
		w := next(true, ageC)
		if age != nil {
			age.Stop()
		}
		if w == nil && timedOut {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if w == nil {
			if err := ctx.Err(); err != nil {
				return err
			}
			return flush()
		}
		ahead = nil
		select {
		case <-w.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if w.err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return w.err
		}
		pl.times.seqWaitBlock.Add(since(t0))
		budget.release(w.size)
		p := w.p
		if p.height == 0 {
			if p.hash != ix.genesis {
				return fatal(fmt.Errorf("daemon's block 0 is %s, want genesis %s", p.hash, ix.genesis))
			}
		} else if p.prev() != cur.st.tip {
			if err := flush(); err != nil {
				return err
			}
			return errNeedReorg
		}
		t1 := time.Now()
		if cur.empty() {
			opened = t1
		}
		if err := pl.prepareBlock(ctx, cur, w); err != nil {
			return err
		}
		pl.times.seqPrepare.Add(since(t1))
		if j := pl.inflight; j != nil && j.idle() && j.err != nil {
			return j.err
		}
		switch {
		case cur.st.height >= pl.target, ix.caughtUp,
			ix.opts.BatchBlocks > 0 && cur.last-cur.first+1 >= int64(ix.opts.BatchBlocks),
			cur.bytes >= pl.batchBytes,
			(pl.inflight == nil || pl.inflight.idle()) && !ready() &&
				(cur.bytes >= pl.batchBytes/idleBatchShare || time.Since(opened) >= idleBatchAge):
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// A batch is closed early, while the commit goroutine is idle and no block
// is ready, only once it holds 1/idleBatchShare of a full batch's rows or
// has been open idleBatchAge: smaller ones cost more per transaction
// (no output created and spent within them, each commit's fixed costs,
// and below the store's bulk-load size its write-ahead log and flush),
// while the daemon delivers blocks faster than that and the index is
// still far from the tip. The age bounds how far the index's committed
// height lags behind a slow daemon.
const (
	idleBatchShare = 4
	idleBatchAge   = 2 * time.Second
)

// handoff waits for the batch in flight, drops its layer and starts the
// commit of b.
func (pl *pipeline) handoff(ctx context.Context, b *syncBatch) error {
	if j := pl.inflight; j != nil {
		pl.inflight = nil
		t0 := time.Now()
		err := j.wait()
		pl.times.seqWaitCommit.Add(since(t0))
		if err != nil {
			return err
		}
		// The previous batch is committed: its layer moves to the cache.
		pl.cache.retire(pl.prev)
	}
	pl.prev = &b.lay
	pl.prevPub.Store(pl.prev)
	j := &commitJob{b: b, done: make(chan error, 1)}
	pl.inflight = j
	go func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("sync", "commit")))
		err := pl.ix.commitBatch(ctx, b, &pl.times)
		if err == nil {
			pl.committed.Add(1)
		}
		j.done <- err
	}()
	return nil
}

// commitBatch writes b atomically with the state, publishes the state and
// drops b's txs (and conflicts) from the mempool.
// times, when not nil, receives the time spent building the store's batch
// and in the store's commit.
func (ix *Index) commitBatch(ctx context.Context, b *syncBatch, times *stageTimes) error {
	t0 := time.Now()
	var fill int64
	ix.mp.mu.Lock()
	// A tracked batch names the scripts it changes: the query cache
	// keeps the others' answers.
	var touched touchSet
	if b.tracked {
		touched = b.touched
	}
	err := ix.qc.writeStore(touched, func() error {
		if l, ok := ix.st.(store.BulkLoader); ok {
			// writeBatch writes in key order: the store may ingest
			// the batch as sorted tables.
			return l.BulkLoad(ctx, b.bytes, func(w store.Writer) error {
				t := time.Now()
				defer func() { fill = since(t) }()
				return ix.writeBatch(w, b)
			})
		}
		if l, ok := ix.st.(store.Loader); ok {
			// writeBatch reads nothing back: the store's cheaper
			// write-only commit.
			return l.Load(ctx, func(w store.Writer) error {
				t := time.Now()
				defer func() { fill = since(t) }()
				return ix.writeBatch(w, b)
			})
		}
		return ix.st.Update(ctx, func(tx store.RWTx) error {
			t := time.Now()
			defer func() { fill = since(t) }()
			return ix.writeBatch(tx, b)
		})
	})
	if times != nil {
		total := since(t0)
		times.commitFill.Add(fill)
		times.commitStore.Add(total - fill)
		ix.log.Debug("forward sync: batch committed", "first", b.first, "last", b.last, "txs", b.ntx,
			"est_mb", b.bytes>>20, "fill_ms", ms(fill), "store_ms", ms(total-fill))
	}
	if err != nil {
		ix.mp.mu.Unlock()
		return fatal(fmt.Errorf("commit blocks %d-%d: %w", b.first, b.last, err))
	}
	ix.commits.Add(1)
	ix.setState(b.st, b.header)
	for i := range b.blocks {
		ix.mp.connectBlock(&b.blocks[i], b.touched)
	}
	ix.mp.mu.Unlock()
	ix.blocksCommitted(b.touched)
	ix.syncProgress(b.st)
	return nil
}

// commitBlocks prepares and commits parsed blocks as one batch (tests and
// benchmarks of the commit stage alone). It returns errNeedReorg, after
// committing the blocks before it, if a block does not connect.
func (ix *Index) commitBlocks(ctx context.Context, batch []*parsedBlock) error {
	last := batch[len(batch)-1].height
	pl := &pipeline{ix: ix, target: last, track: true, undoFloor: last - int64(ix.reorgLimit)}
	ix.mp.mu.RLock()
	pl.keepTxs = len(ix.mp.txs) > 0
	ix.mp.mu.RUnlock()
	b := newSyncBatch(1, ix.state(), nil)
	b.tracked = pl.track
	var connectErr error
	for _, p := range batch {
		if p.height == 0 {
			if p.hash != ix.genesis {
				return fatal(fmt.Errorf("daemon's block 0 is %s, want genesis %s", p.hash, ix.genesis))
			}
		} else if p.prev() != b.st.tip {
			connectErr = errNeedReorg
			break
		}
		w := &blockWork{raw: sdk.Block{Height: p.height}}
		w.p = p
		for _, tx := range p.msg.Transactions {
			w.outHX = appendOutHX(w.outHX, tx)
			w.in = append(w.in, make([]prefetch, len(tx.TxIn))...)
		}
		if err := pl.prepareBlock(ctx, b, w); err != nil {
			return err
		}
	}
	if b.empty() {
		return connectErr
	}
	if err := ix.commitBatch(ctx, b, nil); err != nil {
		return err
	}
	return connectErr
}

// byteBudget bounds the raw bytes of prefetched, unprocessed blocks. One
// block is always admitted, however large.
type byteBudget struct {
	mu    sync.Mutex
	used  int64
	max   int64
	freed chan struct{}
}

func newByteBudget(max int64) *byteBudget {
	return &byteBudget{max: max, freed: make(chan struct{}, 1)}
}

func (b *byteBudget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()
		select {
		case <-b.freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	select {
	case b.freed <- struct{}{}:
	default:
	}
}
