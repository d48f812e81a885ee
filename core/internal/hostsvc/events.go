package hostsvc

import (
	"context"
	"slices"
	"sync"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/sdk"
)

// subscriber is one running Events call. It holds at most one undelivered
// event: a newer tip replaces it (Reorg is kept if either was a reorg), so a
// slow plugin costs one event of memory, never a queue.
type subscriber struct {
	mu      sync.Mutex
	pending *sdk.BlockEvent
	kick    chan struct{} // capacity 1
}

func (sub *subscriber) offer(ev sdk.BlockEvent) {
	sub.mu.Lock()
	if sub.pending != nil && sub.pending.Reorg {
		ev.Reorg = true
	}
	sub.pending = &ev
	sub.mu.Unlock()
	select {
	case sub.kick <- struct{}{}:
	default:
	}
}

func (sub *subscriber) take() (sdk.BlockEvent, bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.pending == nil {
		return sdk.BlockEvent{}, false
	}
	ev := *sub.pending
	sub.pending = nil
	return ev, true
}

// Publish hands an index event to the running Events calls without
// blocking. Events that do not change the tip (mempool rounds) are ignored.
// Call it from the index's Notify hook.
func (s *Server) Publish(ev index.Event) {
	head := sdk.Head{Height: ev.Height, Hash: ev.TipHash, Header: ev.Header}
	if head.Header == nil {
		head.Height, head.Hash, head.Header = s.ix.Tip()
	}
	s.mu.Lock()
	if head.Hash == s.last && !ev.Reorg {
		s.mu.Unlock()
		return
	}
	s.last = head.Hash
	subs := make([]*subscriber, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()
	head.Header = slices.Clone(head.Header)
	for _, sub := range subs {
		sub.offer(sdk.BlockEvent{Head: head, Reorg: ev.Reorg})
	}
}

// Events implements sdk.Host: the current tip, then each new tip, until ctx
// is done (ctx.Err()), yield fails (its error) or Close is called
// (KindUnavailable).
func (s *Server) Events(ctx context.Context, yield func(sdk.BlockEvent) error) error {
	sub := &subscriber{kick: make(chan struct{}, 1)}
	s.mu.Lock()
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
	}()
	tip, err := s.Tip(ctx)
	if err != nil {
		return err
	}
	if err := yield(sdk.BlockEvent{Head: tip}); err != nil {
		return err
	}
	last := tip.Hash
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return sdk.Errorf(sdk.KindUnavailable, "host services are shutting down")
		case <-sub.kick:
		}
		ev, ok := sub.take()
		if !ok || (ev.Hash == last && !ev.Reorg) {
			continue
		}
		last = ev.Hash
		if err := yield(ev); err != nil {
			return err
		}
	}
}

// Subscribers returns the number of running Events calls.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// Close ends every running and future Events call.
func (s *Server) Close() { s.once.Do(func() { close(s.closed) }) }
