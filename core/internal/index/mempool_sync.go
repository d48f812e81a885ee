package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

const mempoolChunk = 200

// errTipMoved: the daemon's tip is not ours; the round is skipped.
var errTipMoved = errors.New("daemon tip moved during mempool round")

// mempoolRound synchronises the mempool with the daemon. It runs
// with procMu held, so the DB height cannot change during the round.
func (ix *Index) mempoolRound(ctx context.Context) (touchSet, error) {
	cctx, cancel := context.WithTimeout(ctx, shortCallTimeout)
	ids, err := ix.chain.MempoolTxids(cctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("mempool txids: %w", err)
	}
	cctx, cancel = context.WithTimeout(ctx, shortCallTimeout)
	tip, err := ix.chain.Tip(cctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("tip: %w", err)
	}
	ix.daemonHeight.Store(tip.Height)
	if st := ix.state(); tip.Hash != st.tip {
		return nil, errTipMoved
	}
	want := make(map[sdk.Hash]struct{}, len(ids))
	for _, id := range ids {
		want[id] = struct{}{}
	}
	var fresh []sdk.Hash
	ix.mp.mu.RLock()
	for _, id := range ids {
		if _, ok := ix.mp.txs[id]; !ok {
			fresh = append(fresh, id)
		}
	}
	ix.mp.mu.RUnlock()

	// Fetch and parse the new txs outside the lock.
	pending := make(map[sdk.Hash]*newTx, len(fresh))
	for i := 0; i < len(fresh); i += mempoolChunk {
		chunk := fresh[i:min(i+mempoolChunk, len(fresh))]
		cctx, cancel := context.WithTimeout(ctx, fetchCallTimeout)
		raws, err := ix.chain.MempoolTransactions(cctx, chunk)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("mempool transactions: %w", err)
		}
		for j, raw := range raws {
			if raw == nil || j >= len(chunk) {
				continue
			}
			var msg wire.MsgTx
			if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
				ix.log.Warn("mempool: unparsable transaction", "txid", chunk[j].String(), "err", err)
				continue
			}
			h := sdk.Hash(msg.TxHash())
			if h != chunk[j] {
				ix.log.Warn("mempool: daemon returned another transaction", "want", chunk[j].String(), "got", h.String())
				continue
			}
			pending[h] = &newTx{msg: &msg, hash: h, size: int64(len(raw)), vsize: vsize(&msg)}
		}
	}

	touched := make(touchSet)
	ix.mp.mu.Lock()
	defer ix.mp.mu.Unlock()
	for h := range ix.mp.txs {
		if _, ok := want[h]; !ok {
			ix.mp.remove(h, touched)
		}
	}
	err = ix.st.View(ctx, func(tx store.Tx) error {
		for progress := true; progress && len(pending) > 0; {
			progress = false
			for h, n := range pending {
				t, ok, err := ix.resolve(tx, n.msg, pending)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				t.hash, t.size, t.vsize = h, n.size, n.vsize
				ix.mp.add(t, touched)
				delete(pending, h)
				progress = true
			}
		}
		return nil
	})
	if err != nil {
		return touched, err
	}
	if len(pending) > 0 {
		ix.log.Debug("mempool: dropped transactions with unresolvable inputs", "count", len(pending))
	}
	return touched, nil
}

type newTx struct {
	msg   *wire.MsgTx
	hash  sdk.Hash
	size  int64
	vsize int64
}

// resolve builds the mempool entry of msg if every input resolves from an
// accepted mempool tx or the DB UTXO set. ok is false when some input's
// parent is still pending or unknown.
func (ix *Index) resolve(tx store.Tx, msg *wire.MsgTx, pending map[sdk.Hash]*newTx) (*mtx, bool, error) {
	t := &mtx{ins: make([]mIn, len(msg.TxIn)), outs: make([]mOut, len(msg.TxOut))}
	var in, out int64
	for i, txin := range msg.TxIn {
		prev := txin.PreviousOutPoint
		ph := sdk.Hash(prev.Hash)
		if p, ok := ix.mp.txs[ph]; ok {
			if int(prev.Index) >= len(p.outs) || !p.outs[prev.Index].ok {
				return nil, false, nil
			}
			o := p.outs[prev.Index]
			t.ins[i] = mIn{prev: prev, hx: o.hx, value: o.value}
		} else if _, ok := pending[ph]; ok {
			return nil, false, nil
		} else {
			raw, err := tx.Get(outKey(&ph, prev.Index))
			if errors.Is(err, store.ErrNotFound) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			ov, err := decodeOutVal(raw)
			if err != nil {
				return nil, false, err
			}
			t.ins[i] = mIn{prev: prev, hx: ov.hx, value: ov.value}
		}
		in += t.ins[i].value
		t.hxs = appendUnique(t.hxs, t.ins[i].hx)
	}
	for i, o := range msg.TxOut {
		out += o.Value
		if unspendable(o.PkScript) {
			continue
		}
		hx := HashXFromScript(o.PkScript)
		t.outs[i] = mOut{hx: hx, value: o.Value, ok: true}
		t.hxs = appendUnique(t.hxs, hx)
	}
	t.fee = max(0, in-out)
	return t, true, nil
}
