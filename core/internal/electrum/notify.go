package electrum

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// notifyTimeout bounds the work for one session in one notification round
// (SP22 uses 30 s).
const notifyTimeout = 30 * time.Second

// HandleEvent fans an index event out to the sessions
// (sessions-and-costs.md §8, with its Go recommendation): touched hashXs
// are evicted from the history cache on every event and every cache is
// cleared on a reorg; header subscribers are notified when the tip hash
// changes; a subscription is notified only when its status changed, and
// mempool-dependent statuses are recomputed when the tip changes. Sessions
// are handled concurrently (bounded); Notify never blocks, so a slow client
// cannot hold up the others. HandleEvent returns when every session is done.
func (srv *Server) HandleEvent(ev index.Event) {
	if ev.Reorg {
		srv.history.clear()
		srv.blocks.clear()
	} else {
		srv.history.evict(ev.Touched)
	}
	tip := headerTip{height: ev.Height, hash: ev.TipHash, header: ev.Header}
	if tip.header == nil {
		tip.height, tip.hash, tip.header = srv.ix.Tip()
	}
	srv.tipMu.Lock()
	tipChanged := !srv.tipSet || srv.tip.hash != tip.hash
	if tipChanged {
		srv.tip, srv.tipSet = tip, true
	}
	srv.tipMu.Unlock()

	srv.sessMu.Lock()
	targets := make([]*state, 0, len(srv.sessions))
	for st := range srv.sessions {
		targets = append(targets, st)
	}
	srv.sessMu.Unlock()

	sem := make(chan struct{}, srv.opts.NotifyConcurrency)
	var wg sync.WaitGroup
	for _, st := range targets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			srv.notifySession(st, ev.Touched, tip, tipChanged)
		}()
	}
	wg.Wait()
}

func (srv *Server) notifySession(st *state, touched map[index.HashX]struct{}, tip headerTip, tipChanged bool) {
	s := st.sess
	ctx, cancel := context.WithTimeout(s.Context(), notifyTimeout)
	defer cancel()

	st.mu.Lock()
	sendHeader := st.headersSub && st.lastHeader != tip.hash
	if sendHeader {
		st.lastHeader = tip.hash
	}
	var check []index.HashX
	for hx, sub := range st.subs {
		if _, ok := touched[hx]; ok || (tipChanged && sub.mempool) {
			check = append(check, hx)
		}
	}
	st.mu.Unlock()

	if sendHeader {
		if err := s.Notify("blockchain.headers.subscribe", []any{tip.result()}); err != nil {
			return // the session is closing
		}
	}
	n := 0
	for _, hx := range check {
		status, mem, err := srv.status(ctx, s, hx)
		var je *jsonrpc.Error
		dropped := errors.As(err, &je) && je.Message == tooLargeMsg
		if err != nil && !dropped {
			srv.log.Warn("status recompute failed", "session", s.ID(), "err", err)
			continue
		}
		st.mu.Lock()
		sub := st.subs[hx]
		if sub == nil { // unsubscribed meanwhile
			st.mu.Unlock()
			continue
		}
		if dropped {
			delete(st.subs, hx)
			status = nil
		} else {
			sub.mempool = mem
		}
		changed := dropped || !sameStatus(sub.status, status)
		sub.status = status
		scripthash := sub.scripthash
		st.mu.Unlock()
		if !changed {
			continue
		}
		if err := s.Notify("blockchain.scripthash.subscribe", []any{scripthash, status}); err != nil {
			return
		}
		n++
	}
	if n > 0 {
		srv.log.Debug("notified of scripthashes", "session", s.ID(), "count", n)
	}
}

func sameStatus(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
