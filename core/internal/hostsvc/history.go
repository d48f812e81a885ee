package hostsvc

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// cursor is a position in a script's history. Its text form, opaque to
// plugins, is a phase letter and a decimal number:
//
//	c<n>  confirmed entries from tx number n (HistoryPager)
//	o<n>  confirmed entries from offset n (fallback paging)
//	m<n>  mempool entries from offset n
//
// The empty string is the start.
type cursor struct {
	phase byte // 'c', 'o' or 'm'; 0 at the start
	n     uint64
}

func (c cursor) String() string { return string(c.phase) + strconv.FormatUint(c.n, 10) }

// parseCursor reads a cursor's text form.
func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	switch s[0] {
	case 'c', 'o', 'm':
	default:
		return cursor{}, fmt.Errorf("history cursor %q: unknown phase", s)
	}
	if len(s) < 2 || s[1] == '+' || s[1] == '-' {
		return cursor{}, fmt.Errorf("history cursor %q: no position", s)
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	if err != nil {
		return cursor{}, fmt.Errorf("history cursor %q: %w", s, err)
	}
	return cursor{phase: s[0], n: n}, nil
}

func badCursor(err error) error { return sdk.Errorf(sdk.KindInvalidArgument, "%w", err) }

// History implements sdk.Host: confirmed entries in chain order, then the
// mempool entries, limit per page (sdk.DefaultHistoryPage when <= 0,
// clamped to sdk.MaxHistoryPage).
func (s *Server) History(ctx context.Context, sh sdk.Hash, cur string, limit int) ([]sdk.HistoryEntry, string, error) {
	if limit <= 0 {
		limit = sdk.DefaultHistoryPage
	}
	limit = min(limit, sdk.MaxHistoryPage)
	c, err := parseCursor(cur)
	if err != nil {
		return nil, "", badCursor(err)
	}
	hx := hashX(sh)
	var out []sdk.HistoryEntry
	if c.phase != 'm' {
		var next cursor
		out, next, err = s.confirmed(ctx, hx, c, limit)
		if err != nil {
			return nil, "", err
		}
		if next.phase != 0 {
			return out, next.String(), nil
		}
		c = cursor{phase: 'm'}
	}
	mp := s.ix.MempoolHistory(hx)
	start := min(c.n, uint64(len(mp)))
	end := min(start+uint64(limit-len(out)), uint64(len(mp)))
	for _, e := range mp[start:end] {
		out = append(out, sdk.HistoryEntry{TxHash: e.TxHash, Height: e.Height, Fee: e.Fee})
	}
	if end < uint64(len(mp)) {
		return out, cursor{phase: 'm', n: end}.String(), nil
	}
	return out, "", nil
}

// confirmed returns up to limit confirmed entries from c and the cursor of
// the rest (phase 0 when the confirmed history is done).
func (s *Server) confirmed(ctx context.Context, hx index.HashX, c cursor, limit int) ([]sdk.HistoryEntry, cursor, error) {
	if s.pager != nil {
		if c.phase == 'o' {
			return nil, cursor{}, badCursor(fmt.Errorf("stale history cursor %q: restart from the beginning", c))
		}
		page, next, err := s.pager.HistoryPage(ctx, hx, c.n, limit)
		if err != nil {
			return nil, cursor{}, internal("history", err)
		}
		if len(page) > limit {
			return nil, cursor{}, sdk.Errorf(sdk.KindInternal, "history: index returned %d entries for a page of %d", len(page), limit)
		}
		nc := cursor{}
		if next != 0 {
			nc = cursor{phase: 'c', n: next}
		}
		return confirmedEntries(page), nc, nil
	}
	if c.phase == 'c' {
		return nil, cursor{}, badCursor(fmt.Errorf("stale history cursor %q: restart from the beginning", c))
	}
	all, _, err := s.ix.History(ctx, hx, s.fallback)
	if errors.Is(err, index.ErrHistoryTooLarge) {
		return nil, cursor{}, sdk.Errorf(sdk.KindUnavailable,
			"history of this script hash has more than %d confirmed entries; paging it needs an index with HistoryPage", s.fallback)
	}
	if err != nil {
		return nil, cursor{}, internal("history", err)
	}
	start := min(c.n, uint64(len(all)))
	end := min(start+uint64(limit), uint64(len(all)))
	nc := cursor{}
	if end < uint64(len(all)) {
		nc = cursor{phase: 'o', n: end}
	}
	return confirmedEntries(all[start:end]), nc, nil
}

func confirmedEntries(cs []index.Confirmed) []sdk.HistoryEntry {
	out := make([]sdk.HistoryEntry, len(cs))
	for i, c := range cs {
		out[i] = sdk.HistoryEntry{TxHash: c.TxHash, Height: c.Height}
	}
	return out
}
