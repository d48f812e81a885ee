package electrum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// errTooLarge is the "history too large" reply (exact text: Electrum 4.3.4
// matches it).
const tooLargeMsg = "history too large"

// confirmedHistory returns the confirmed history of hx (with its status
// digest) through the cache and the lookup cost H (docs/methods.md, Component costs). A
// history at or above the limit is a BAD_REQUEST carrying the lookup cost.
func (srv *Server) confirmedHistory(ctx context.Context, hx index.HashX) (historyEntry, float64, error) {
	srv.stats.HistoryLookups.Add(1)
	e, gen, ok := srv.history.get(hx)
	if ok {
		srv.stats.HistoryHits.Add(1)
	} else {
		limit := srv.historyLimit()
		conf, _, err := srv.ix.History(ctx, hx, limit)
		switch {
		case errors.Is(err, index.ErrHistoryTooLarge):
			e = historyEntry{tooLarge: true}
		case err != nil:
			return historyEntry{}, 0, fmt.Errorf("history: %w", err)
		default:
			e = historyEntry{confirmed: conf, tooLarge: len(conf) >= limit}
		}
		if e.tooLarge {
			e.confirmed = nil
		} else {
			e.digest, e.preLen, e.status = confirmedDigest(e.confirmed)
			if len(e.confirmed) <= encodedHistoryMax {
				e.confJSON = appendConfirmedItems(nil, e.confirmed)
			}
		}
		srv.history.put(hx, e, gen)
	}
	cost := historyCost(ok, len(e.confirmed))
	if e.tooLarge {
		return historyEntry{}, cost, &jsonrpc.Error{Code: jsonrpc.BadRequest, Message: tooLargeMsg, Cost: cost}
	}
	return e, cost, nil
}

// mempoolHistory returns the mempool part in the canonical order used for
// both the status and get_history: height 0 before -1, then txid display
// hex ascending (docs/protocol.md, Status).
func (srv *Server) mempoolHistory(hx index.HashX) []index.MempoolEntry {
	m := slices.Clone(srv.ix.MempoolHistory(hx))
	slices.SortFunc(m, func(a, b index.MempoolEntry) int {
		if a.Height != b.Height {
			return -compareInt(a.Height, b.Height) // 0 before -1
		}
		for i := len(a.TxHash) - 1; i >= 0; i-- { // display order = reversed bytes
			if c := compareInt(int64(a.TxHash[i]), int64(b.TxHash[i])); c != 0 {
				return c
			}
		}
		return 0
	})
	return m
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// statusString is the pre-image of a script hash status (docs/protocol.md, Status).
func statusString(conf []index.Confirmed, mem []index.MempoolEntry) []byte {
	var b []byte
	for _, e := range conf {
		b = appendStatusItem(b, e.TxHash, e.Height)
	}
	for _, e := range mem {
		b = appendStatusItem(b, e.TxHash, e.Height)
	}
	return b
}

// Status returns the status of a history (docs/protocol.md, Status): nil for an empty history,
// else the hex single SHA-256 of the status string.
func Status(conf []index.Confirmed, mem []index.MempoolEntry) *string {
	s := statusString(conf, mem)
	if len(s) == 0 {
		return nil
	}
	d := sha256.Sum256(s)
	h := hex.EncodeToString(d[:])
	return &h
}

// status computes the status of hx, charges its cost to the session, and
// reports whether it depends on mempool transactions.
func (srv *Server) status(ctx context.Context, s Sess, hx index.HashX) (*string, bool, error) {
	e, cost, err := srv.confirmedHistory(ctx, hx)
	if err != nil {
		return nil, false, err
	}
	mem := srv.mempoolHistory(hx)
	status, n := e.status, e.preLen
	if len(mem) > 0 {
		// Continue the cached hash of the confirmed part.
		h := e.digest.(hash.Cloner)
		d, err := h.Clone()
		if err != nil {
			return nil, false, fmt.Errorf("status: %w", err)
		}
		pre := statusString(nil, mem)
		d.Write(pre)
		n += len(pre)
		st := hex.EncodeToString(d.Sum(nil))
		status = &st
	}
	s.AddCost(statusCost(cost, n))
	return status, len(mem) > 0, nil
}

type confirmedItem struct {
	TxHash string `json:"tx_hash"`
	Height int64  `json:"height"`
}

type mempoolItem struct {
	TxHash string `json:"tx_hash"`
	Height int64  `json:"height"`
	Fee    int64  `json:"fee"`
}

func scripthashGetHistory(ctx context.Context, c *call) (any, error) {
	hx, _, jerr := parseScripthash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	e, cost, err := c.srv.confirmedHistory(ctx, hx)
	if err != nil {
		return nil, err
	}
	mem := c.srv.mempoolHistory(hx)
	c.charge(units{Lookup: cost, N: len(mem)})
	if e.confJSON != nil || len(e.confirmed) == 0 {
		return encodeHistoryFrom(e.confJSON, mem), nil
	}
	return encodeHistory(e.confirmed, mem), nil
}

func scripthashGetMempool(_ context.Context, c *call) (any, error) {
	hx, _, jerr := parseScripthash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	mem := c.srv.mempoolHistory(hx)
	c.charge(units{N: len(mem)})
	return encodeHistory(nil, mem), nil
}

func scripthashGetBalance(ctx context.Context, c *call) (any, error) {
	hx, _, jerr := parseScripthash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	b, gen, ok := c.srv.balances.get(hx)
	if !ok {
		conf, unconf, n, err := c.srv.ix.Balance(ctx, hx)
		if err != nil {
			return nil, fmt.Errorf("balance: %w", err)
		}
		b = balanceEntry{conf, unconf, n}
		c.srv.balances.put(hx, b, gen)
	}
	c.charge(units{N: b.n})
	return encodeBalance(b.confirmed, b.unconfirmed), nil
}

type utxoItem struct {
	TxHash string `json:"tx_hash"`
	TxPos  uint32 `json:"tx_pos"`
	Height int64  `json:"height"`
	Value  int64  `json:"value"`
}

func scripthashListUnspent(ctx context.Context, c *call) (any, error) {
	hx, _, jerr := parseScripthash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	u, gen, ok := c.srv.utxos.get(hx)
	if !ok {
		utxos, n, err := c.srv.ix.ListUnspent(ctx, hx)
		if err != nil {
			return nil, fmt.Errorf("listunspent: %w", err)
		}
		u = utxoEntry{encodeUTXOs(utxos), n}
		c.srv.utxos.put(hx, u, gen)
	}
	c.charge(units{N: u.n})
	return u.result, nil
}

func scripthashSubscribe(ctx context.Context, c *call) (any, error) {
	hx, sent, jerr := parseScripthash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	// If an index event arrives while the status is computed, the fan-out
	// may not see this subscription yet: compute again so the reply is not
	// older than the index.
	for attempt := 0; ; attempt++ {
		seq := c.srv.eventSeq.Load()
		st, mem, err := c.srv.status(ctx, c.s, hx)
		if err != nil {
			return nil, err
		}
		c.h.subscribe(hx, &subscription{scripthash: sent, status: st, mempool: mem})
		if c.srv.eventSeq.Load() == seq || attempt > 0 {
			return st, nil
		}
	}
}

func scripthashUnsubscribe(_ context.Context, c *call) (any, error) {
	hx, _, jerr := parseScripthash(c.args[0])
	if jerr != nil {
		return nil, jerr
	}
	c.charge(units{})
	c.h.mu.Lock()
	_, ok := c.h.subs[hx]
	delete(c.h.subs, hx)
	c.h.mu.Unlock()
	return ok, nil
}

type feeBin [2]any

func mempoolGetFeeHistogram(_ context.Context, c *call) (any, error) {
	c.charge(units{})
	bins := c.srv.ix.FeeHistogram()
	out := make([]feeBin, len(bins))
	for i, b := range bins {
		out[i] = feeBin{b.Rate, b.VSize}
	}
	return out, nil
}
