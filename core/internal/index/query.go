package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/sdk"
)

// Headers returns up to count raw headers from start, concatenated, clamped
// at the tip (possibly none).
func (ix *Index) Headers(ctx context.Context, start int64, count int) ([]byte, error) {
	if start < 0 || count <= 0 {
		return nil, nil
	}
	var out []byte
	err := ix.st.View(ctx, func(tx store.Tx) error {
		out = make([]byte, 0, 80*min(count, 2016))
		n := 0
		return tx.Scan([]byte{pHeader}, heightKey(pHeader, start), func(k, v []byte) bool {
			if int64(binary.BigEndian.Uint32(k[1:])) != start+int64(n) {
				return false
			}
			out = append(out, v...)
			n++
			return n < count
		})
	})
	if err != nil {
		return nil, fmt.Errorf("index: headers: %w", err)
	}
	return out, nil
}

// BlockHashes returns the hashes of up to count indexed blocks from start.
func (ix *Index) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	h, err := ix.Headers(ctx, start, count)
	if err != nil {
		return nil, err
	}
	return hashesOf(h), nil
}

// BlockTxids returns the txids of the block at height in block order.
// ErrBlockNotFound above the tip and at height 0 (genesis is not indexed).
func (ix *Index) BlockTxids(ctx context.Context, height int64) ([]sdk.Hash, error) {
	if height <= 0 || height > ix.state().height {
		return nil, ErrBlockNotFound
	}
	var out []sdk.Hash
	err := ix.st.View(ctx, func(tx store.Tx) error {
		raw, err := tx.Get(heightKey(pBlock, height))
		if errors.Is(err, store.ErrNotFound) {
			return ErrBlockNotFound
		}
		if err != nil {
			return err
		}
		out = make([]sdk.Hash, len(raw)/32)
		for i := range out {
			copy(out[i][:], raw[32*i:])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index: block txids %d: %w", height, err)
	}
	return out, nil
}

// History returns the confirmed history of hx (tx_num order) and its
// mempool entries (canonical order) from one consistent snapshot. With
// limit > 0 it fails with ErrHistoryTooLarge once the confirmed history has
// limit entries.
func (ix *Index) History(ctx context.Context, hx HashX, limit int) ([]Confirmed, []MempoolEntry, error) {
	ix.mp.mu.RLock()
	defer ix.mp.mu.RUnlock()
	if c, ok := ix.qc.history(hx); ok {
		if limit > 0 && len(c) >= limit {
			return nil, nil, ErrHistoryTooLarge
		}
		return slices.Clone(c), ix.mp.history(hx), nil
	}
	g, cacheable := ix.qc.begin()
	var conf []Confirmed
	tooLarge := false
	err := ix.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(hxPrefix(pHist, hx), nil, func(_, v []byte) bool {
			if limit > 0 && len(conf) >= limit-1 {
				tooLarge = true
				return false
			}
			var c Confirmed
			copy(c.TxHash[:], v)
			c.Height = int64(binary.BigEndian.Uint32(v[32:]))
			conf = append(conf, c)
			return true
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("index: history: %w", err)
	}
	if tooLarge {
		return nil, nil, ErrHistoryTooLarge
	}
	if cacheable {
		ix.qc.putHistory(g, hx, slices.Clone(conf))
	}
	return conf, ix.mp.history(hx), nil
}

// HistoryPage returns up to limit confirmed history entries of hx with tx
// number >= from, in tx-number (chain) order, and the tx number to continue
// from: 0 when the page holds the rest of the history (so a page that ends
// exactly at the last entry also returns 0). next is always above the tx
// number of the page's first entry, so it is never 0 for a partial read.
// limit <= 0 or a from beyond the largest tx number returns nothing.
//
// A page is one store read transaction, which is atomic with respect to a
// block batch (one store transaction): it never sees half a batch. It does
// not read the mempool, so unlike History it does not take the mempool
// lock. Pages are read at different times: between two pages blocks may be
// connected or undone (a reorg reuses tx numbers), so a history paged
// across a reorg may repeat or skip entries (sdk.Host.History says so).
func (ix *Index) HistoryPage(ctx context.Context, hx HashX, from uint64, limit int) ([]Confirmed, uint64, error) {
	if limit <= 0 || from > maxTxNum {
		return nil, 0, nil
	}
	page := make([]Confirmed, 0, min(limit, 1024))
	var next uint64
	var bad error
	err := ix.st.View(ctx, func(tx store.Tx) error {
		page, next = page[:0], 0
		return tx.Scan(hxPrefix(pHist, hx), histKey(hx, from), func(k, v []byte) bool {
			if len(page) == limit {
				next = get5(k[12:])
				return false
			}
			if len(v) != histValLen {
				bad = fmt.Errorf("history row %x: %d-byte value", k, len(v))
				return false
			}
			var c Confirmed
			copy(c.TxHash[:], v)
			c.Height = int64(binary.BigEndian.Uint32(v[32:]))
			page = append(page, c)
			return true
		})
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, 0, fmt.Errorf("index: history page: %w", err)
	}
	return page, next, nil
}

// MempoolHistory returns the mempool entries of hx in canonical order.
func (ix *Index) MempoolHistory(hx HashX) []MempoolEntry {
	ix.mp.mu.RLock()
	defer ix.mp.mu.RUnlock()
	return ix.mp.history(hx)
}

// Balance returns the confirmed balance (sum of confirmed UTXOs, ignoring
// mempool spends), the mempool delta (outputs to hx minus mempool inputs
// spending hx's outputs; may be negative) and the confirmed UTXO count.
func (ix *Index) Balance(ctx context.Context, hx HashX) (confirmed, unconfirmed int64, nUTXOs int, err error) {
	ix.mp.mu.RLock()
	defer ix.mp.mu.RUnlock()
	if b, ok := ix.qc.balance(hx); ok {
		return b.sum, ix.mp.balanceDelta(hx), b.n, nil
	}
	g, cacheable := ix.qc.begin()
	err = ix.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(hxPrefix(pUTXO, hx), nil, func(_, v []byte) bool {
			confirmed += int64(binary.BigEndian.Uint64(v))
			nUTXOs++
			return true
		})
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("index: balance: %w", err)
	}
	if cacheable {
		ix.qc.putBalance(g, hx, balanceEntry{sum: confirmed, n: nUTXOs})
	}
	return confirmed, ix.mp.balanceDelta(hx), nUTXOs, nil
}

// ListUnspent returns confirmed UTXOs of hx in (tx_num, vout) order, then
// mempool-created ones (height 0), minus every outpoint spent by a mempool
// tx. nBeforeFilter counts confirmed + mempool UTXOs before that filter.
func (ix *Index) ListUnspent(ctx context.Context, hx HashX) (utxos []UTXO, nBeforeFilter int, err error) {
	ix.mp.mu.RLock()
	defer ix.mp.mu.RUnlock()
	if c, ok := ix.qc.unspent(hx); ok {
		return ix.withMempoolUTXOs(hx, slices.Clone(c))
	}
	g, cacheable := ix.qc.begin()
	err = ix.st.View(ctx, func(tx store.Tx) error {
		return tx.Scan(hxPrefix(pUTXO, hx), nil, func(k, v []byte) bool {
			var u UTXO
			u.TxPos = binary.BigEndian.Uint32(k[17:])
			u.Value = int64(binary.BigEndian.Uint64(v))
			copy(u.TxHash[:], v[8:])
			u.Height = int64(binary.BigEndian.Uint32(v[40:]))
			utxos = append(utxos, u)
			return true
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("index: listunspent: %w", err)
	}
	if cacheable {
		ix.qc.putUnspent(g, hx, slices.Clone(utxos))
	}
	return ix.withMempoolUTXOs(hx, utxos)
}

// withMempoolUTXOs appends the mempool-created UTXOs of hx to its
// confirmed ones and drops those a mempool tx spends (ListUnspent; mp.mu
// held).
func (ix *Index) withMempoolUTXOs(hx HashX, utxos []UTXO) ([]UTXO, int, error) {
	utxos = append(utxos, ix.mp.utxos(hx)...)
	nBeforeFilter := len(utxos)
	if len(ix.mp.spends) > 0 {
		kept := utxos[:0]
		for _, u := range utxos {
			if !ix.mp.spent(u.TxHash, u.TxPos) {
				kept = append(kept, u)
			}
		}
		utxos = kept
	}
	return utxos, nBeforeFilter, nil
}
