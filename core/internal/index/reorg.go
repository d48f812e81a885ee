package index

import (
	"context"
	"encoding/binary"
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
		// touched gains every script of the block as undoBlock reads
		// the record, before the commit ends.
		err := ix.qc.writeStore(touched, func() error {
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

// undoBlock reverts the tip block of st inside tx and returns the new state.
func (ix *Index) undoBlock(tx store.RWTx, st state, touched touchSet) (state, error) {
	h := st.height
	if h <= 0 {
		return st, fmt.Errorf("%w: cannot undo block %d", errChain, h)
	}
	raw, err := tx.Get(heightKey(pUndo, h))
	if errors.Is(err, store.ErrNotFound) {
		return st, fmt.Errorf("%w: no undo information for block %d (reorg deeper than REORG_LIMIT %d); the index must be rebuilt", errChain, h, ix.reorgLimit)
	}
	if err != nil {
		return st, err
	}
	u, err := decodeUndo(raw)
	if err != nil {
		return st, fmt.Errorf("block %d: %w", h, err)
	}
	if u.version == undoV1 {
		err = revertV1(tx, u, touched)
	} else {
		var p *revertPlan
		if p, err = planRevert(tx, h, st, u); err == nil {
			err = p.apply(tx, touched)
		}
	}
	if err != nil {
		return st, fmt.Errorf("block %d: %w", h, err)
	}
	for _, p := range []byte{pHeader, pBlock, pUndo} {
		if err := tx.Delete(heightKey(p, h)); err != nil {
			return st, err
		}
	}
	prev, err := tx.Get(heightKey(pHeader, h-1))
	if err != nil {
		return st, fmt.Errorf("header %d: %w", h-1, err)
	}
	return state{height: h - 1, tip: headerHash(prev), txCount: u.txCountBefore}, nil
}

// revertV1 reverts a block from a version-1 record, which lists every row.
func revertV1(tx store.RWTx, u *undoRecord, touched touchSet) error {
	// Restore spent outputs first, then delete created ones: an output
	// created and spent inside the block is restored and deleted again.
	for i := len(u.spent) - 1; i >= 0; i-- {
		s := &u.spent[i]
		if err := tx.Set(outKey(&s.op.txid, s.op.vout), s.outVal.encode()); err != nil {
			return err
		}
		if err := tx.Set(utxoKey(s.hx, s.txnum, s.op.vout), utxoVal(s.value, &s.op.txid, s.height)); err != nil {
			return err
		}
		touched.add(s.hx)
	}
	for _, c := range u.created {
		ok := outKey(&c.txid, c.vout)
		raw, err := tx.Get(ok)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		ov, err := decodeOutVal(raw)
		if err != nil {
			return err
		}
		if err := tx.Delete(ok); err != nil {
			return err
		}
		if err := tx.Delete(utxoKey(ov.hx, ov.txnum, c.vout)); err != nil {
			return err
		}
	}
	for _, r := range u.hist {
		if err := tx.Delete(histKey(r.hx, r.txnum)); err != nil {
			return err
		}
		touched.add(r.hx)
	}
	return nil
}

// revertPlan is the rows a revert of one block changes, besides its H, B
// and R rows.
type revertPlan struct {
	restore []spentOut // outputs of older blocks the block spent
	drop    []spentOut // the block's outputs unspent at revert time
	hist    []histRef  // the block's X rows
	hxs     []HashX    // every hashX the block touched
}

// planRevert derives, from the rows that exist while block h is the tip,
// what a version-2 record leaves out. Blocks are reverted from the tip
// down, so every output of block h spent by a later block has been
// restored, and every row of a later tx_num deleted:
//   - the block's unspent outputs are the O rows (txid, vout), for each
//     tx's txid (B row) and vout below its output count, whose tx_num is
//     the tx's (another is an older tx with the same txid, BIP30);
//   - a spent output of an older block is in the X row (hashX, its
//     tx_num), which holds its txid and height: every tx has an X row for
//     the hashX of each of its spendable outputs;
//   - a tx's X rows are those of the hashXs of the outputs it spent (its
//     inputs' entries) and of the outputs it paid (its O rows, and the
//     entries of the outputs spent later in the block).
//
// It only reads (point reads, no scans), so it sees the store as the block
// left it.
func planRevert(tx store.Tx, h int64, st state, u *undoRecord) (*revertPlan, error) {
	ntx := uint64(len(u.txs))
	before, after := u.txCountBefore, u.txCountBefore+ntx
	if after != st.txCount {
		return nil, fmt.Errorf("%w: tx_nums %d..%d, index at %d", errUndoRecord, before, after, st.txCount)
	}
	txids, err := tx.Get(heightKey(pBlock, h))
	if err != nil {
		return nil, fmt.Errorf("txids: %w", err)
	}
	if uint64(len(txids)) != 32*ntx {
		return nil, fmt.Errorf("%w: %d txs, B row of %d bytes", errUndoRecord, ntx, len(txids))
	}
	p := &revertPlan{}
	seen := make(map[HashX]struct{})
	// paidLater: per tx, the hashXs of its outputs spent in the block.
	paidLater := make(map[uint64][]HashX)
	for i := range u.spent {
		if s := &u.spent[i]; s.txnum >= before {
			paidLater[s.txnum] = append(paidLater[s.txnum], s.hx)
		}
	}
	var hxs []HashX
	funding := make(map[histRef][]byte)
	kb := make([]byte, 0, 37)
	j := 0 // spent entry
	for i, c := range u.txs {
		txnum := before + uint64(i)
		hxs = hxs[:0]
		if uint64(j)+uint64(c.in) > uint64(len(u.spent)) {
			return nil, fmt.Errorf("%w: tx %d: %d inputs past %d spent outputs", errUndoRecord, i, c.in, len(u.spent))
		}
		for _, s := range u.spent[j : j+int(c.in)] {
			hxs = appendUnique(hxs, s.hx)
			if s.txnum >= before {
				continue // created and spent in the block: no rows
			}
			ref := histRef{hx: s.hx, txnum: s.txnum}
			hv, ok := funding[ref] // outputs of one tx to one script: one read
			if !ok {
				if hv, err = tx.Get(appendHistKey(kb[:0], s.hx, s.txnum)); err != nil {
					return nil, fmt.Errorf("history row of an output spent by tx %d (tx_num %d): %w", i, s.txnum, err)
				}
				funding[ref] = hv
			}
			if len(hv) != histValLen {
				return nil, fmt.Errorf("history row: %d bytes", len(hv))
			}
			copy(s.op.txid[:], hv)
			s.height = int64(binary.BigEndian.Uint32(hv[32:]))
			if s.height >= h {
				return nil, fmt.Errorf("%w: tx %d spends an output of height %d", errUndoRecord, i, s.height)
			}
			p.restore = append(p.restore, s)
		}
		j += int(c.in)
		var txid sdk.Hash
		copy(txid[:], txids[32*i:])
		for vout := uint32(0); vout < c.out; vout++ {
			raw, err := tx.Get(appendOutKey(kb[:0], &txid, vout))
			if errors.Is(err, store.ErrNotFound) {
				continue // unspendable, or spent in the block
			}
			if err != nil {
				return nil, err
			}
			ov, err := decodeOutVal(raw)
			if err != nil {
				return nil, err
			}
			if ov.txnum == txnum {
				p.drop = append(p.drop, spentOut{op: outpoint{txid: txid, vout: vout}, outVal: ov})
				hxs = appendUnique(hxs, ov.hx)
			}
		}
		for _, hx := range paidLater[txnum] {
			hxs = appendUnique(hxs, hx)
		}
		for _, hx := range hxs {
			p.hist = append(p.hist, histRef{hx: hx, txnum: txnum})
			if _, ok := seen[hx]; !ok {
				seen[hx] = struct{}{}
				p.hxs = append(p.hxs, hx)
			}
		}
	}
	if j != len(u.spent) {
		return nil, fmt.Errorf("%w: %d spent outputs, inputs for %d", errUndoRecord, len(u.spent), j)
	}
	if uint64(len(p.hist)) != u.nHist {
		return nil, fmt.Errorf("%w: %d history rows derived, the block wrote %d", errUndoRecord, len(p.hist), u.nHist)
	}
	return p, nil
}

// apply makes p's changes in tx.
func (p *revertPlan) apply(tx store.RWTx, touched touchSet) error {
	for i := range p.drop {
		d := &p.drop[i]
		if err := tx.Delete(outKey(&d.op.txid, d.op.vout)); err != nil {
			return err
		}
		if err := tx.Delete(utxoKey(d.hx, d.txnum, d.op.vout)); err != nil {
			return err
		}
	}
	for _, r := range p.hist {
		if err := tx.Delete(histKey(r.hx, r.txnum)); err != nil {
			return err
		}
	}
	for i := range p.restore {
		s := &p.restore[i]
		if err := tx.Set(outKey(&s.op.txid, s.op.vout), s.outVal.encode()); err != nil {
			return err
		}
		if err := tx.Set(utxoKey(s.hx, s.txnum, s.op.vout), utxoVal(s.value, &s.op.txid, s.height)); err != nil {
			return err
		}
	}
	for _, hx := range p.hxs {
		touched.add(hx)
	}
	return nil
}
