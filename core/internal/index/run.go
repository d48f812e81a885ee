package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// errNeedReorg: a block does not connect to our tip.
var errNeedReorg = errors.New("block does not connect to the indexed tip")

// fatalError wraps errors that end Run (store failures, wrong genesis).
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatal(err error) error { return &fatalError{err} }

// Run indexes the daemon's chain, then follows its tip and mempool until ctx
// is done (returning nil). Daemon errors are logged and retried. A store
// failure or a genesis mismatch ends Run with an error. A reorg deeper than
// ReorgLimit or another chain inconsistency halts following (Status.Halted)
// while queries keep answering from the last consistent state.
func (ix *Index) Run(ctx context.Context) error {
	if !ix.opts.NoChainEvents {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		go ix.watch(wctx)
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		wait, err := ix.step(ctx)
		var fe *fatalError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &fe):
			ix.log.Error("index: fatal", "err", err)
			ix.setErr(err)
			return err
		case err != nil:
			ix.log.Warn("index: will retry", "err", err)
			ix.setErr(err)
			wait = true
		}
		if wait {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(ix.opts.PollInterval):
			case <-ix.wake:
			}
		}
	}
}

// step does one unit of work; wait says whether to sleep a poll interval.
func (ix *Index) step(ctx context.Context) (wait bool, err error) {
	ix.procMu.Lock()
	defer ix.procMu.Unlock()
	ix.mu.RLock()
	halted := ix.halted
	ix.mu.RUnlock()
	if halted {
		return true, nil
	}
	// The plugin retries an unreachable daemon until the deadline: bound
	// the poll so the outage shows in Status (and getinfo) meanwhile.
	tctx, cancel := context.WithTimeout(ctx, shortCallTimeout)
	tip, err := ix.chain.Tip(tctx)
	cancel()
	if err != nil {
		return true, fmt.Errorf("daemon tip: %w", err)
	}
	ix.daemonHeight.Store(tip.Height)
	st := ix.state()
	if tip.Hash != st.tip {
		switch behind, berr := ix.daemonBehind(ctx, tip); {
		case berr != nil:
			return true, berr
		case behind:
			// The daemon's chain is a prefix of ours (it is still syncing,
			// e.g. after a restart): wait for it rather than undo blocks.
			ix.log.Debug("daemon is behind the index; waiting", "daemon_height", tip.Height, "height", st.height)
			return true, nil
		case tip.Height > st.height:
			err = ix.syncForward(ctx, tip.Height)
		default:
			err = errNeedReorg
		}
		if errors.Is(err, errNeedReorg) {
			err = ix.reorg(ctx, 0)
		}
		if errors.Is(err, errChain) {
			ix.halt(err)
			return true, nil
		}
		return false, err
	}
	if !ix.caughtUp {
		ix.caughtUp = true
		ix.log.Info("index caught up", "height", st.height, "tip", st.tip.String())
	}
	touched, err := ix.mempoolRound(ctx)
	if errors.Is(err, errTipMoved) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	ix.setErr(nil)
	now := time.Now()
	ix.refreshHistogram(now, false)
	if now.Sub(ix.lastMempoolLog) >= time.Minute {
		ix.lastMempoolLog = now
		ntx, nbytes := ix.mp.stats()
		ix.mp.mu.RLock()
		naddr := len(ix.mp.byHX)
		ix.mp.mu.RUnlock()
		ix.log.Info("mempool", "txs", ntx, "mb", fmt.Sprintf("%.2f", float64(nbytes)/1e6), "touched_addresses", naddr)
	}
	ix.syncedOnce.Do(func() {
		ix.log.Info("index synced (chain and mempool)", "height", st.height)
		close(ix.synced)
	})
	if len(touched) > 0 {
		ix.notify(touched, false, true)
	}
	return true, nil
}

// daemonBehind reports whether the daemon's tip is one of our blocks below
// our tip.
func (ix *Index) daemonBehind(ctx context.Context, tip sdk.Tip) (bool, error) {
	if tip.Height >= ix.state().height || tip.Height < 0 {
		return false, nil
	}
	ours, err := ix.BlockHashes(ctx, tip.Height, 1)
	if err != nil {
		return false, fatal(err)
	}
	return len(ours) == 1 && ours[0] == tip.Hash, nil
}

// Daemon calls of the follow loop are bounded, so that an unreachable
// daemon (the plugin retries until the deadline) shows in Status instead of
// holding the loop: small calls (tip, mempool txids, block hashes) and one
// chunk of mempool transactions.
const (
	shortCallTimeout = 5 * time.Second
	fetchCallTimeout = 30 * time.Second
)

func (ix *Index) notify(touched touchSet, reorg, mempool bool) {
	if ix.opts.Notify == nil {
		return
	}
	height, hash, header := ix.Tip()
	ix.opts.Notify(Event{Height: height, TipHash: hash, Header: header, Touched: touched, Reorg: reorg, Mempool: mempool})
}

// fetched is what the prefetcher hands to the processor.
type fetched struct {
	blk *parsedBlock
	err error
}

// syncForward fetches blocks our height+1..target in a prefetch goroutine
// and applies them in batches.
func (ix *Index) syncForward(ctx context.Context, target int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan fetched, 2*ix.opts.FetchBlocks)
	budget := newByteBudget(ix.opts.PrefetchBytes)
	start := ix.state().height + 1
	go func() {
		defer close(queue)
		for s := start; s <= target; {
			n := int(min(int64(ix.opts.FetchBlocks), target-s+1))
			next := s
			err := ix.chain.Blocks(ctx, s, n, func(b sdk.Block) error {
				if b.Height != next {
					return fmt.Errorf("daemon sent block %d, want %d", b.Height, next)
				}
				p, err := parseBlock(b)
				if err != nil {
					return err
				}
				next++
				if err := budget.acquire(ctx, int64(p.size)); err != nil {
					return err
				}
				select {
				case queue <- fetched{blk: p}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err == nil && next == s {
				err = fmt.Errorf("daemon returned no blocks from %d", s)
			}
			if err != nil {
				select {
				case queue <- fetched{err: fmt.Errorf("fetch blocks from %d: %w", next, err)}:
				case <-ctx.Done():
				}
				return
			}
			s = next
		}
	}()

	prog := newProgress(ix, start, target)
	batch := make([]*parsedBlock, 0, ix.opts.BatchBlocks)
	for {
		batch = batch[:0]
		var ferr error
		f, ok := <-queue
		if !ok {
			return nil
		}
		if f.err != nil {
			return f.err
		}
		budget.release(int64(f.blk.size))
		batch = append(batch, f.blk)
		ntx := len(f.blk.txids)
	fill:
		for len(batch) < ix.opts.BatchBlocks && ntx < 100_000 {
			select {
			case f, ok := <-queue:
				if !ok {
					break fill
				}
				if f.err != nil {
					ferr = f.err
					break fill
				}
				budget.release(int64(f.blk.size))
				batch = append(batch, f.blk)
				ntx += len(f.blk.txids)
			default:
				break fill
			}
		}
		if err := ix.commitBlocks(ctx, batch); err != nil {
			return err
		}
		prog.update(ix.state().height)
		if ferr != nil {
			return ferr
		}
	}
}

// commitBlocks applies the blocks that connect, atomically with the state,
// then drops their txs (and conflicts) from the mempool. It returns
// errNeedReorg if a block does not connect.
func (ix *Index) commitBlocks(ctx context.Context, batch []*parsedBlock) error {
	st := ix.state()
	n := 0
	for _, p := range batch {
		tipHash := st.tip
		if n > 0 {
			tipHash = batch[n-1].hash
		}
		if p.height == 0 {
			if p.hash != ix.genesis {
				return fatal(fmt.Errorf("daemon's block 0 is %s, want genesis %s", p.hash, ix.genesis))
			}
		} else if p.prev() != tipHash {
			break
		}
		n++
	}
	var connectErr error
	if n < len(batch) {
		connectErr = errNeedReorg
		batch = batch[:n]
	}
	if n == 0 {
		return connectErr
	}
	touched := make(touchSet)
	ix.mp.mu.Lock()
	newSt := st
	err := ix.st.Update(ctx, func(tx store.RWTx) error {
		newSt = st
		clear(touched)
		for _, p := range batch {
			var err error
			if newSt, err = ix.applyBlock(tx, newSt, p, touched); err != nil {
				return err
			}
		}
		return tx.Set([]byte(stateKeyStr), newSt.encode(ix.genesis))
	})
	if err != nil {
		ix.mp.mu.Unlock()
		if errors.Is(err, errChain) {
			return err
		}
		return fatal(fmt.Errorf("commit blocks %d-%d: %w", batch[0].height, batch[len(batch)-1].height, err))
	}
	ix.commits.Add(1)
	ix.setState(newSt, batch[len(batch)-1].header)
	for _, p := range batch {
		ix.mp.connectBlock(p, touched)
	}
	ix.mp.mu.Unlock()
	if ix.caughtUp {
		ix.notify(touched, false, false)
	}
	return connectErr
}

// progress logs sync progress at ProgressInterval.
type progress struct {
	ix          *Index
	start, goal int64
	began, last time.Time
}

func newProgress(ix *Index, start, goal int64) *progress {
	now := time.Now()
	return &progress{ix: ix, start: start, goal: goal, began: now, last: now}
}

func (p *progress) update(height int64) {
	now := time.Now()
	if now.Sub(p.last) < p.ix.opts.ProgressInterval {
		return
	}
	p.last = now
	done := height - p.start + 1
	rate := float64(done) / now.Sub(p.began).Seconds()
	pct := 100.0
	if p.goal > 0 {
		pct = 100 * float64(height) / float64(p.goal)
	}
	eta := time.Duration(0)
	if rate > 0 {
		eta = time.Duration(float64(p.goal-height)/rate) * time.Second
	}
	p.ix.log.Info("index sync", "height", height, "daemon_height", p.goal,
		"percent", fmt.Sprintf("%.2f", pct), "blocks_per_s", fmt.Sprintf("%.1f", rate), "eta", eta.Round(time.Second))
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
