package session

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// A request being served is a call; its answer goes to a finisher. The
// batch path keeps every item's state in one slab per batch, and workers
// and deadlines take the items as interfaces, so that a batch item costs
// no closures of its own (issue 11: under the abandon attack amberd made
// about ten allocations per batch item, most of them closures).

// finisher receives a request's answer exactly once (nil: none is due).
type finisher interface{ finish(resp []byte) }

// call is one request being served (serve).
type call struct {
	s       *Session
	r       *jsonrpc.Request
	fin     finisher
	start   time.Time
	claimed atomic.Bool // by the first answer: the handler's or the deadline's
	// batch is the item's batch (nil for a single request): its one
	// deadline watch answers the items that are running when it passes,
	// where a single request arms a context.AfterFunc of its own.
	batch      *batchRun
	prev, next *call // in batch.running
}

// serve is the one request deadline: it runs c.r under ctx (the
// throttling sleep, then the handler, on this goroutine) and gives
// c.fin the encoded answer exactly once (nil when none is due). When ctx
// ends first, c.fin gets the -102 answer at once from a
// context.AfterFunc and a handler that overruns finishes unobserved in
// the background; when the session itself is gone, c.fin gets nil
// (nobody reads the answer).
func (s *Session) serve(ctx context.Context, c *call) {
	c.start = time.Now()
	r := c.r
	if r.Err != nil || r.Notification {
		c.done(s.answer(r))
		return
	}
	var result any
	var err error
	if b := c.batch; b != nil {
		if !b.track(c) {
			c.expire() // the batch's deadline has passed
			return
		}
		result, err = s.dispatch(ctx, r)
		b.untrack(c)
	} else {
		stop := context.AfterFunc(ctx, c.expire)
		result, err = s.dispatch(ctx, r)
		stop()
	}
	if !c.claimed.CompareAndSwap(false, true) {
		return // answered already
	}
	if s.ctx.Err() != nil {
		// The session is gone: nobody reads the answer, and a handler
		// cut short by it is not the client's error to pay for.
		c.fin.finish(nil)
		return
	}
	c.done(s.encodeAnswer(r, result, err))
}

// expire answers -102 when the deadline comes first.
func (c *call) expire() {
	if !c.claimed.CompareAndSwap(false, true) {
		return
	}
	s := c.s
	if s.ctx.Err() != nil {
		c.fin.finish(nil)
		return
	}
	e := timedOut()
	c.done(s.errorReply(c.r, e), e.Code)
}

func (c *call) done(resp []byte, code int) {
	if resp != nil {
		c.s.observe(c.r.Method, code, time.Now().Sub(c.start))
	}
	c.fin.finish(resp)
}

// single is a single request (startOne): its slot and budget share are
// released when its reply is written.
type single struct {
	call
	ctx      context.Context
	cancel   context.CancelFunc
	size     int
	answered chan struct{} // closed once answered (serial sessions)
}

func (o *single) run() { o.s.serve(o.ctx, &o.call) }

func (o *single) finish(resp []byte) {
	o.cancel()
	s, size := o.s, o.size
	s.replyHeld(resp, func() { s.release(); s.unhold(size) })
	if o.answered != nil {
		close(o.answered)
	}
}

// batchRun is what a batch's items share, the deadline among them.
type batchRun struct {
	ctx context.Context
	out *batchBytes
	wg  sync.WaitGroup

	mu      sync.Mutex
	running *call // items in their handler (a list through call.next)
	expired bool  // the deadline has passed: no item starts its handler
}

// track lists c as running; false when the deadline has passed.
func (b *batchRun) track(c *call) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.expired {
		return false
	}
	c.next = b.running
	if b.running != nil {
		b.running.prev = c
	}
	b.running = c
	return true
}

// untrack takes c off the running list (if expire has not).
func (b *batchRun) untrack(c *call) {
	b.mu.Lock()
	switch {
	case c.prev != nil:
		c.prev.next = c.next
	case b.running == c:
		b.running = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
	b.mu.Unlock()
}

// expire runs once when the batch's deadline passes (or the session
// ends): every item still in its handler gets its -102 (or nil) answer
// at once, and no item starts its handler after.
func (b *batchRun) expire() {
	b.mu.Lock()
	b.expired = true
	var late []*call
	for c := b.running; c != nil; {
		next := c.next
		c.prev, c.next = nil, nil
		late = append(late, c)
		c = next
	}
	b.running = nil
	b.mu.Unlock()
	for _, c := range late {
		c.expire()
	}
}

// batchItem is one item of a batch, run by one of the batch's workers
// once it has its server-wide turn (Manager.items).
type batchItem struct {
	call
	b        *batchRun
	i        int
	turn     bool          // holds a server-wide turn
	answered chan struct{} // closed once answered (serial sessions)
}

func (it *batchItem) run() {
	s, ctx := it.s, it.b.ctx
	select {
	case s.mgr.items <- struct{}{}:
		it.turn = true
		s.serve(ctx, &it.call)
	case <-ctx.Done():
		var resp []byte
		if s.ctx.Err() == nil {
			resp = s.timeoutReply(it.r)
		}
		it.finish(resp)
	}
}

func (it *batchItem) finish(resp []byte) {
	s := it.s
	if it.turn {
		<-s.mgr.items
	}
	s.release()
	s.storeItem(it.b.out, it.i, it.r, resp)
	it.b.wg.Done()
	if it.answered != nil {
		close(it.answered)
	}
}
