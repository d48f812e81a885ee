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

// HandleEvent applies an index event and fans it out to the sessions
// (docs/protocol.md, Caches and notifications): touched hashXs
// are evicted from the history cache on every event and every cache is
// cleared on a reorg; header subscribers are notified when the tip hash
// changes; a subscription is notified only when its status changed, and
// mempool-dependent statuses are recomputed when the tip changes. Sessions
// are handled concurrently (bounded); Notify never blocks, so a slow client
// cannot hold up the others. HandleEvent returns when every session is
// done; use Notifier for a callback that must not block.
func (srv *Server) HandleEvent(ev index.Event) {
	tip, changed := srv.apply(ev)
	srv.fanOut(ev.Touched, tip, changed)
}

// apply updates the caches and the notified tip for ev.
func (srv *Server) apply(ev index.Event) (headerTip, bool) {
	defer srv.eventSeq.Add(1)
	if ev.Reorg {
		srv.history.clear()
		srv.utxos.clear()
		srv.balances.clear()
		srv.blocks.clear()
		srv.txs.clear()
		srv.headerTree.Reset()
	} else {
		srv.history.evict(ev.Touched)
		srv.utxos.evict(ev.Touched)
		srv.balances.evict(ev.Touched)
	}
	tip := headerTip{height: ev.Height, hash: ev.TipHash, header: ev.Header}
	if tip.header == nil {
		tip.height, tip.hash, tip.header = srv.ix.Tip()
	}
	srv.tipMu.Lock()
	defer srv.tipMu.Unlock()
	changed := srv.tip.hash != tip.hash
	if changed {
		srv.tip = tip
	}
	srv.tipNotified = true
	return srv.tip, changed
}

func (srv *Server) fanOut(touched map[index.HashX]struct{}, tip headerTip, tipChanged bool) {
	srv.sessMu.Lock()
	targets := make([]*handler, 0, len(srv.sessions))
	for h := range srv.sessions {
		targets = append(targets, h)
	}
	srv.sessMu.Unlock()

	sem := make(chan struct{}, srv.opts.NotifyConcurrency)
	var wg sync.WaitGroup
	for _, h := range targets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			srv.notifySession(h, touched, tip, tipChanged)
		}()
	}
	wg.Wait()
}

// notifyQueue holds the events not yet fanned out, merged into one round.
type notifyQueue struct {
	mu         sync.Mutex
	touched    map[index.HashX]struct{}
	tip        headerTip
	tipChanged bool
	pending    bool
	kick       chan struct{}
}

// Notifier returns a non-blocking event callback for the index (its
// Options.Notify): each call applies the event to the caches and the tip at
// once and queues the fan-out for one goroutine, which merges the events
// that arrive while it is busy into one round (touched sets united, newest
// tip). The goroutine ends when ctx is done.
func (srv *Server) Notifier(ctx context.Context) func(index.Event) {
	q := &srv.queue
	q.mu.Lock()
	if q.kick == nil {
		q.kick = make(chan struct{}, 1)
	}
	kick := q.kick
	q.mu.Unlock()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
			}
			q.mu.Lock()
			touched, tip, changed, ok := q.touched, q.tip, q.tipChanged, q.pending
			q.touched, q.tipChanged, q.pending = nil, false, false
			q.mu.Unlock()
			if ok {
				srv.fanOut(touched, tip, changed)
			}
		}
	}()
	return func(ev index.Event) {
		tip, changed := srv.apply(ev)
		q.mu.Lock()
		if q.touched == nil {
			q.touched = make(map[index.HashX]struct{}, len(ev.Touched))
		}
		for hx := range ev.Touched {
			q.touched[hx] = struct{}{}
		}
		q.tip, q.tipChanged, q.pending = tip, q.tipChanged || changed, true
		q.mu.Unlock()
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

func (srv *Server) notifySession(h *handler, touched map[index.HashX]struct{}, tip headerTip, tipChanged bool) {
	s := h.sess
	ctx, cancel := context.WithTimeout(s.Context(), notifyTimeout)
	defer cancel()

	h.mu.Lock()
	sendHeader := h.headersSub && h.lastHeader != tip.hash
	if sendHeader {
		h.lastHeader = tip.hash
	}
	var check []index.HashX
	for hx, sub := range h.subs {
		if _, ok := touched[hx]; ok || (tipChanged && sub.mempool) {
			check = append(check, hx)
		}
	}
	h.mu.Unlock()

	if sendHeader {
		if err := s.Notify("blockchain.headers.subscribe", []any{tip.result()}); err != nil {
			return // the session is closing
		}
	}
	n := 0
	for _, hx := range check {
		if ctx.Err() != nil {
			return // the session ended or the round timed out
		}
		status, mem, err := srv.status(ctx, s, hx)
		var je *jsonrpc.Error
		dropped := errors.As(err, &je) && je.Message == tooLargeMsg
		if err != nil && !dropped {
			srv.log.Warn("status recompute failed", "session", s.ID(), "err", err)
			continue
		}
		h.mu.Lock()
		sub := h.subs[hx]
		if sub == nil { // unsubscribed meanwhile
			h.mu.Unlock()
			continue
		}
		if dropped {
			delete(h.subs, hx)
			status = nil
		} else {
			sub.mempool = mem
		}
		changed := dropped || !sameStatus(sub.status, status)
		sub.status = status
		scripthash := sub.scripthash
		h.mu.Unlock()
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
