package index

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	return ix.stepLocked(ctx)
}

// stepLocked is step with procMu held.
func (ix *Index) stepLocked(ctx context.Context) (wait bool, err error) {
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
			ix.reorgNotify(nil) // what the halted index answers from
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
		// The chain is final: do not hold a reorg's notification for the
		// whole daemon outage.
		ix.reorgNotify(touched)
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
	if !ix.reorgNotify(touched) && len(touched) > 0 {
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
