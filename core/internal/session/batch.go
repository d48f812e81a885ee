package session

import (
	"context"
	"errors"
	"sync"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// batchTooLarge is the answer to a batch of more than Profile.MaxBatch
// requests (issue 11.2): one error, id null, charged as an error; the
// session stays open.
func batchTooLarge(n, max int) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.InvalidRequest, "batch of %d requests is over the limit of %d", n, max)
}

// startBatch admits a batch with back-pressure on the reader: it waits
// for one of the session's batch places (Profile.BatchesInFlight) and for
// the concurrency slot of the batch's first item before the next message
// is read, both within the batch's deadline. It reports false when the
// reader must stop.
func (s *Session) startBatch(reqs []*jsonrpc.Request, size int, serial bool) bool {
	if max := s.prof.MaxBatch; max > 0 && len(reqs) > max {
		e := batchTooLarge(len(reqs), max)
		s.chargeError(e)
		s.observe("", e.Code, 0)
		s.reply(jsonrpc.EncodeError(s.Dialect(), nil, e))
		return true
	}
	s.hold(size)
	ctx, cancel := s.requestContext()
	placed := false
	select {
	case s.batches <- struct{}{}:
		placed = true
	case <-ctx.Done():
	}
	var firstErr error
	if placed {
		firstErr = s.acquire(ctx)
	} else {
		firstErr = ctx.Err()
	}
	if s.ctx.Err() != nil {
		if firstErr == nil {
			s.release()
		}
		s.endBatch(placed, size)
		cancel()
		return false
	}
	s.inflight.Add(1) // the batch itself, until its reply is written
	if serial {
		s.runBatch(ctx, cancel, reqs, size, firstErr, placed, true)
	} else {
		go s.runBatch(ctx, cancel, reqs, size, firstErr, placed, false)
	}
	return true
}

// endBatch gives back a batch's place and its share of the budget.
func (s *Session) endBatch(placed bool, size int) {
	if placed {
		<-s.batches
	}
	s.unhold(size)
}

// runBatch answers every item of a batch within ctx: an item that cannot
// get a slot before the deadline, or whose handler overruns it, is
// answered -102. Items run concurrently under the session's limit (one
// at a time when serial). firstErr is the outcome of the first item's
// slot wait, done by the reader.
func (s *Session) runBatch(ctx context.Context, cancel context.CancelFunc, reqs []*jsonrpc.Request, size int, firstErr error, placed, serial bool) {
	defer cancel()
	out := &batchBytes{items: make([][]byte, len(reqs))}
	var wg sync.WaitGroup
	refused := false
	for i, r := range reqs {
		if refused {
			s.storeItem(out, i, r, s.refuse(r))
			continue
		}
		err := firstErr
		if i > 0 {
			err = s.acquire(ctx)
		}
		if err != nil {
			switch {
			case errors.Is(err, errExcessive):
				refused = true
				s.storeItem(out, i, r, s.refuse(r))
			case s.ctx.Err() != nil:
				wg.Wait()
				s.endBatch(placed, size)
				s.inflight.Done()
				return
			default:
				s.storeItem(out, i, r, s.timeoutReply(r))
			}
			continue
		}
		// Each item on its own goroutine, so that one whose handler
		// overruns the deadline is answered -102 (serve) while the rest
		// go on; serial waits for each item's answer.
		wg.Add(1)
		var answered chan struct{}
		if serial {
			answered = make(chan struct{})
		}
		go s.serve(ctx, r, func(resp []byte) {
			s.release()
			s.storeItem(out, i, r, resp)
			wg.Done()
			if answered != nil {
				close(answered)
			}
		})
		if serial {
			<-answered
		}
	}
	wg.Wait()
	items := out.items[:0]
	for _, b := range out.items {
		if b != nil {
			items = append(items, b)
		}
	}
	done := func() { s.endBatch(placed, size); s.inflight.Done() }
	if len(items) > 0 {
		s.replyHeld(jsonrpc.EncodeBatch(items), done)
	} else {
		s.replyHeld(nil, done) // honours a close asked by a notification
	}
	if refused {
		s.drop()
	}
}
