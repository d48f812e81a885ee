package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// ForceReorg undoes the last n blocks (admin `reorg`, tests) and re-applies
// the daemon's chain and mempool before it returns, so that the reorg is
// applied, and notified once, as a whole before the caller hears back (if
// the daemon cannot be reached meanwhile, the processor finishes it). It
// fails without changing anything if n exceeds the blocks with undo data.
func (ix *Index) ForceReorg(ctx context.Context, n int) error {
	if n <= 0 {
		return fmt.Errorf("index: reorg count must be positive, got %d", n)
	}
	ix.procMu.Lock()
	defer ix.procMu.Unlock()
	err := ix.reorg(ctx, n)
	if errors.Is(err, errChain) {
		return fmt.Errorf("index: %w", err)
	}
	if err != nil {
		return err
	}
	for range forceReorgSteps {
		wait, err := ix.stepLocked(ctx)
		if err != nil {
			ix.log.Warn("index: re-applying the chain after a forced reorg; the processor will retry", "err", err)
			break
		}
		if wait {
			break
		}
	}
	return nil
}

// forceReorgSteps bounds the processor steps ForceReorg runs itself (each
// applies up to the daemon's tip; more than one only if the tip moves).
const forceReorgSteps = 8

// reorg undoes blocks back to the fork point with the daemon's chain (n ==
// 0) or the last n blocks. Caller holds procMu.
func (ix *Index) reorg(ctx context.Context, n int) error {
	st := ix.state()
	var first int64 // first height to undo
	if n > 0 {
		first = st.height - int64(n) + 1
	} else {
		var err error
		if first, err = ix.findFork(ctx, st.height); err != nil {
			return err
		}
	}
	if first > st.height {
		return nil
	}
	if first <= 0 {
		return fmt.Errorf("%w: reorg would undo the genesis block", errChain)
	}
	// Check that undo data exists for every block before touching anything.
	err := ix.st.View(ctx, func(tx store.Tx) error {
		for h := st.height; h >= first; h-- {
			if _, err := tx.Get(heightKey(pUndo, h)); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: reorg of %d blocks back to height %d is deeper than the undo data (REORG_LIMIT %d); the index must be rebuilt",
					errChain, st.height-first+1, first-1, ix.reorgLimit)
			} else if err != nil {
				return fatal(err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ix.log.Warn("chain reorganisation", "undo_from", st.height, "undo_to", first, "blocks", st.height-first+1)
	touched, err := ix.undoTo(ctx, st, first)
	ix.holdReorg(touched)
	if err != nil {
		return err
	}
	ix.reorgs.Add(1)
	return nil
}

// holdReorg keeps what a reorg touched for the one notification of its
// final state: no event is sent for the fork point or for the blocks of
// the new branch; reorgNotify sends it when the index has reached the
// daemon's tip again and its mempool is rebuilt (or the index halted).
func (ix *Index) holdReorg(touched touchSet) {
	if ix.reorgTouched == nil {
		ix.reorgTouched = make(touchSet, len(touched))
	}
	for hx := range touched {
		ix.reorgTouched.add(hx)
	}
}

// blocksCommitted notifies a committed batch once caught up, or adds its
// touched set to a reorg being applied.
func (ix *Index) blocksCommitted(touched touchSet) {
	switch {
	case ix.reorgTouched != nil:
		ix.holdReorg(touched)
	case ix.caughtUp:
		ix.notify(touched, false, false)
	}
}

// reorgNotify sends the held reorg notification with extra (a mempool
// round's touched set), if a reorg is held; it reports whether it did.
func (ix *Index) reorgNotify(extra touchSet) bool {
	if ix.reorgTouched == nil {
		return false
	}
	t := ix.reorgTouched
	ix.reorgTouched = nil
	for hx := range extra {
		t.add(hx)
	}
	ix.notify(t, true, false)
	return true
}

// undoTo undoes blocks st.height down to first, one atomic commit per block.
func (ix *Index) undoTo(ctx context.Context, st state, first int64) (touchSet, error) {
	touched := make(touchSet)
	ix.mp.mu.Lock()
	defer ix.mp.mu.Unlock()
	// Undone blocks' txs return to the daemon's mempool; rebuild ours from
	// scratch in the next round.
	ix.mp.clear(touched)
	for h := st.height; h >= first; h-- {
		var newSt state
		var header []byte
		err := ix.qc.writeStore(func() error {
			return ix.st.Update(ctx, func(tx store.RWTx) error {
				var err error
				if newSt, err = ix.undoBlock(tx, st, touched); err != nil {
					return err
				}
				if header, err = tx.Get(heightKey(pHeader, newSt.height)); err != nil {
					return err
				}
				return tx.Set([]byte(stateKeyStr), newSt.encode(ix.genesis))
			})
		})
		if err != nil {
			if errors.Is(err, errChain) {
				return touched, err
			}
			return touched, fatal(fmt.Errorf("undo block %d: %w", h, err))
		}
		ix.commits.Add(1)
		st = newSt
		ix.setState(st, header)
	}
	return touched, nil
}

// findFork returns the first height whose block differs from the daemon's
// best chain (windows doubling back from the tip).
func (ix *Index) findFork(ctx context.Context, height int64) (int64, error) {
	start, count := height, int64(1)
	for {
		cctx, cancel := context.WithTimeout(ctx, shortCallTimeout)
		theirs, err := ix.chain.BlockHashes(cctx, start, int(count))
		cancel()
		if err != nil {
			return 0, fmt.Errorf("daemon block hashes: %w", err)
		}
		ours, err := ix.BlockHashes(ctx, start, int(count))
		if err != nil {
			return 0, fatal(err)
		}
		if len(theirs) > 0 && len(ours) > 0 && theirs[0] == ours[0] {
			for i := range ours {
				if i >= len(theirs) || ours[i] != theirs[i] {
					return start + int64(i), nil
				}
			}
			return start + int64(len(ours)), nil
		}
		if start == 0 {
			return 0, nil
		}
		count *= 2
		start = max(0, start-count)
	}
}

// blockHashesFrom computes block hashes from stored headers.
func hashesOf(headers []byte) []sdk.Hash {
	out := make([]sdk.Hash, len(headers)/80)
	for i := range out {
		out[i] = headerHash(headers[80*i : 80*i+80])
	}
	return out
}
