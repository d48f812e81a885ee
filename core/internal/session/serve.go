package session

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// Session-layer bounds that are not configuration (issue 11.2, 12.13).
const (
	// DefaultBatchesInFlight is how many batches a session may have
	// running before its reader stops reading (Profile.BatchesInFlight).
	DefaultBatchesInFlight = 2
	// NotifyTimeout closes a session whose notification has waited this
	// long to be written (ElectrumX's 30 s notification timeout).
	NotifyTimeout = 30 * time.Second
)

// run is the session's life: the reader on this goroutine. A writer
// goroutine runs only while messages are queued (see sendQueue), so an
// idle session costs one goroutine. It returns when the connection is
// finished.
func (s *Session) run() {
	s.readLoop()
	// The client stopped sending: its admission slot is free at once. After
	// a clean EOF (a half-close) the requests already read are still
	// answered, each within its deadline; after any other end the session
	// context is cancelled already and they end at once.
	s.mgr.unadmit(s)
	s.inflight.Wait()
	s.Close()
	<-s.writerEnd
	s.cancel()
	s.conn.Close()
}

// writeLoop writes queued messages in order until the queue is empty
// (the next push starts a new writer) or closed and written; then it
// closes the connection (which also ends the reader).
func (s *Session) writeLoop() {
	for {
		it, st := s.q.nextItem()
		switch st {
		case qIdle:
			return
		case qDrained:
			s.cancel()
			s.conn.Close()
			close(s.writerEnd)
			return
		}
		if it.at != 0 && s.clock.Now().Sub(time.Unix(0, it.at)) > NotifyTimeout && !s.closing.Load() {
			s.log.Warn("timeout notifying client, closing", "session", s.id)
			s.abort()
		}
		if s.aborted.Load() {
			runDone(it)
			s.q.discard()
			continue
		}
		// Counted before the write: once the client has the message, every
		// counter already shows it.
		s.counters.SendCount.Add(1)
		s.counters.SendBytes.Add(int64(len(it.msg)))
		err := s.conn.WriteMessage(s.ctx, it.msg)
		runDone(it)
		if err != nil {
			s.log.Debug("write failed, closing session", "session", s.id, "err", err)
			s.cancel()
			s.conn.Close()
			s.Close()
			s.q.discard() // next reports qDrained: senders get net.ErrClosed
			continue
		}
		s.chargeBandwidth(len(it.msg))
		if f := s.prof.ObserveBytes; f != nil {
			f(0, len(it.msg))
		}
	}
}

func runDone(it qItem) {
	if it.done != nil {
		it.done()
	}
}

// readNext reads the next message; the first one must come within the
// handshake timeout (which also bounds a TLS handshake, done on the first
// read).
func (s *Session) readNext(first bool) ([]byte, error) {
	if !first || s.prof.HandshakeTimeout <= 0 {
		return s.conn.ReadMessage(s.ctx)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.prof.HandshakeTimeout)
	defer cancel()
	return s.conn.ReadMessage(ctx)
}

func (s *Session) readLoop() {
	for first := true; ; first = false {
		msg, err := s.readNext(first)
		if err != nil || s.closing.Load() {
			if err != nil && !errors.Is(err, io.EOF) {
				// The connection is gone (or never sent a first request):
				// everything the session started ends now.
				s.log.Debug("read failed, closing session", "session", s.id, "err", err)
				s.cancel()
			}
			return
		}
		s.lastRecv.Store(s.clock.Now().UnixNano())
		s.counters.RecvCount.Add(1)
		s.counters.RecvBytes.Add(int64(len(msg)))
		s.chargeBandwidth(len(msg))
		if f := s.prof.ObserveBytes; f != nil {
			f(len(msg), 0)
		}
		if s.logged.Load() {
			s.log.Info("request", "session", s.id, "msg", string(msg))
		}
		d := s.Dialect()
		reqs, batch, id, rerr := jsonrpc.Decode(msg, &d)
		s.dialect.Store(int32(d))
		if rerr != nil {
			s.chargeError(rerr)
			s.observe("", rerr.Code, 0)
			s.reply(jsonrpc.EncodeError(d, id, rerr))
			continue
		}
		// Until server.version has negotiated the protocol, requests run
		// one at a time in order, so that a request pipelined after it
		// sees the negotiated version (docs/protocol.md, Version negotiation).
		serial := s.prof.SerialUntilProtocol && s.Protocol() == ""
		ok := false
		if batch {
			ok = s.startBatch(reqs, len(msg), serial)
		} else {
			ok = s.startOne(reqs[0], len(msg), serial)
		}
		if !ok {
			return
		}
	}
}

// requestContext bounds one request (or one batch) from its arrival:
// the wait for a slot, the throttling sleep and the handler.
func (s *Session) requestContext() (context.Context, context.CancelFunc) {
	if s.prof.RequestTimeout > 0 {
		return context.WithTimeout(s.ctx, s.prof.RequestTimeout)
	}
	return context.WithCancel(s.ctx)
}

// startOne takes a slot for a single request (the reader waits for it:
// back-pressure) and runs it. It reports false when the reader must stop.
func (s *Session) startOne(r *jsonrpc.Request, size int, serial bool) bool {
	s.hold(size)
	ctx, cancel := s.requestContext()
	if err := s.acquire(ctx); err != nil {
		cancel()
		s.unhold(size)
		switch {
		case errors.Is(err, errExcessive):
			if resp := s.refuse(r); resp != nil {
				_ = s.send(resp)
			}
			s.drop()
			return false
		case s.ctx.Err() != nil:
			return false
		}
		// The deadline passed while the request waited for a slot.
		if resp := s.timeoutReply(r); resp != nil {
			s.reply(resp)
		}
		return true
	}
	var answered chan struct{}
	if serial {
		answered = make(chan struct{})
	}
	go s.serveOne(ctx, cancel, r, size, answered)
	if serial {
		<-answered // bounded by the request deadline
	}
	return true
}

// serveOne answers a single (non-batch) request and releases its slot
// and its share of the budget once the reply is written. answered, if
// not nil, is closed once the reply is queued.
//
// The handler runs on this goroutine and the -102 answer comes from a
// context.AfterFunc, whichever finishes first replying: a handler that
// overruns finishes unobserved in the background, its slot released.
func (s *Session) serveOne(ctx context.Context, cancel context.CancelFunc, r *jsonrpc.Request, size int, answered chan struct{}) {
	defer cancel()
	start := s.clock.Now()
	var state atomic.Bool // claimed by the first answer
	finish := func(resp []byte, code int) {
		if resp != nil {
			s.observe(r.Method, code, s.clock.Now().Sub(start))
		}
		s.replyHeld(resp, func() { s.release(); s.unhold(size) })
		if answered != nil {
			close(answered)
		}
	}
	if r.Err != nil || r.Notification {
		state.Store(true)
		finish(s.answer(ctx, r))
		return
	}
	stop := context.AfterFunc(ctx, func() {
		if state.CompareAndSwap(false, true) {
			e := timedOut()
			finish(s.errorReply(r, e), e.Code)
		}
	})
	var result any
	err := s.throttleSleep(ctx)
	if err == nil {
		result, err = s.h.Handle(ctx, r.Method, r.Params)
	}
	if !state.CompareAndSwap(false, true) {
		return // answered -102 already
	}
	stop()
	finish(s.encodeAnswer(r, result, err))
}

// timeoutReply is the -102 answer to r (nil for a notification).
func (s *Session) timeoutReply(r *jsonrpc.Request) []byte {
	e := timedOut()
	if r.Notification {
		s.chargeError(e)
		return nil
	}
	s.observe(r.Method, e.Code, 0)
	return s.errorReply(r, e)
}

// acquire takes a concurrency slot. It fails when ctx ends, and with
// errExcessive when the session's concurrency target is 0.
func (s *Session) acquire(ctx context.Context) error {
	if err := s.lim.acquire(ctx); err != nil {
		return err
	}
	s.pending.Add(1)
	s.inflight.Add(1)
	return nil
}

func (s *Session) release() {
	s.pending.Add(-1)
	s.lim.release()
	s.inflight.Done()
}

// replyHeld queues resp and runs done once it is written or dropped (at
// once when resp is nil or cannot be queued); it honours CloseAfterReply.
func (s *Session) replyHeld(resp []byte, done func()) {
	if resp == nil {
		done()
	} else if err := s.push(qItem{msg: resp, done: done}); err != nil {
		done()
	}
	if s.closeFlag.Load() {
		s.Close()
	}
}

// reply queues a response and honours CloseAfterReply.
func (s *Session) reply(msg []byte) {
	s.replyHeld(msg, func() {})
}

// process runs one request under ctx and returns its encoded response,
// or nil when none is due (notifications). Answered requests are reported
// to Profile.Observe.
func (s *Session) process(ctx context.Context, r *jsonrpc.Request) []byte {
	start := s.clock.Now()
	resp, code := s.answer(ctx, r)
	if resp != nil {
		s.observe(r.Method, code, s.clock.Now().Sub(start))
	}
	return resp
}

// answer runs one request and returns its encoded response (nil for
// notifications) and the error code (0 on success).
func (s *Session) answer(ctx context.Context, r *jsonrpc.Request) ([]byte, int) {
	d := s.Dialect()
	if r.Err != nil {
		s.chargeError(r.Err)
		if r.Notification {
			// A response object sent to us: counted, never answered
			// (aiorpcX does the same).
			return nil, r.Err.Code
		}
		return jsonrpc.EncodeError(d, r.ID, r.Err), r.Err.Code
	}
	if r.Notification {
		// Clients have no notifications to send: charged as an error,
		// never answered; the handler may look at it and ask for the
		// session to close.
		s.chargeError(&jsonrpc.Error{})
		s.h.Notified(r.Method)
		return nil, 0
	}
	result, err := s.dispatch(ctx, r)
	return s.encodeAnswer(r, result, err)
}

// encodeAnswer encodes the outcome of running r (which was answerable:
// no decode error, not a notification).
func (s *Session) encodeAnswer(r *jsonrpc.Request, result any, err error) ([]byte, int) {
	d := s.Dialect()
	if err != nil {
		var e *jsonrpc.Error
		if !errors.As(err, &e) {
			s.log.Error("internal error", "session", s.id, "method", r.Method, "err", err)
			e = &jsonrpc.Error{Code: jsonrpc.InternalError, Message: "internal server error"}
		}
		return s.errorReply(r, e), e.Code
	}
	resp, encErr := jsonrpc.EncodeResult(d, r.ID, result)
	if encErr != nil {
		s.log.Error("cannot encode result", "session", s.id, "method", r.Method, "err", encErr)
		e := &jsonrpc.Error{Code: jsonrpc.InternalError, Message: "internal server error"}
		return s.errorReply(r, e), e.Code
	}
	if s.prof.MaxSend > 0 && len(resp) > s.prof.MaxSend {
		e := s.tooLarge()
		return s.errorReply(r, e), e.Code
	}
	return resp, 0
}

// errorReply charges e and encodes it as the answer to r.
func (s *Session) errorReply(r *jsonrpc.Request, e *jsonrpc.Error) []byte {
	s.chargeError(e)
	return jsonrpc.EncodeError(s.Dialect(), r.ID, e)
}

// tooLarge is the oversized-response error; the missing ')' is upstream's
// exact text, which clients may match (docs/protocol.md, Upstream quirks 1).
func (s *Session) tooLarge() *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.InvalidRequest, "response too large (over %s bytes", pyfmt.Thousands(int64(s.prof.MaxSend)))
}

// dispatch sleeps the throttling delay and calls the handler, both
// under ctx. With a request deadline, a handler that overruns it is
// answered with -102 (charged as an error) while it finishes in the
// background.
func (s *Session) dispatch(ctx context.Context, r *jsonrpc.Request) (any, error) {
	if s.prof.RequestTimeout <= 0 {
		if err := s.throttleSleep(ctx); err != nil {
			return nil, err
		}
		return s.h.Handle(ctx, r.Method, r.Params)
	}
	type answer struct {
		result any
		err    error
	}
	ch := make(chan answer, 1)
	go func() {
		if err := s.throttleSleep(ctx); err != nil {
			ch <- answer{nil, err}
			return
		}
		res, err := s.h.Handle(ctx, r.Method, r.Params)
		ch <- answer{res, err}
	}()
	select {
	case a := <-ch:
		return a.result, a.err
	case <-ctx.Done():
		return nil, timedOut()
	}
}

func (s *Session) chargeError(e *jsonrpc.Error) {
	s.counters.Errors.Add(1)
	// e.Cost carries the error's own surcharge (the codec puts
	// ParseErrorCost on parse errors).
	s.AddCost(ErrorBaseCost + e.Cost)
}

func (s *Session) chargeBandwidth(n int) {
	if s.prof.BandwidthUnitCost > 0 {
		s.AddCost(float64(n) / float64(s.prof.BandwidthUnitCost))
	}
}

// chargeDiscarded charges input the transport threw away (an oversized
// line) as bandwidth, as aiorpcX charges every byte received; a session
// that reaches its hard limit this way is closed.
func (s *Session) chargeDiscarded(n int) {
	s.counters.RecvBytes.Add(int64(n))
	s.chargeBandwidth(n)
	if s.acct.Target() <= 0 {
		s.drop()
	}
}

// batchBytes is a batch reply being assembled: items in request order,
// the running size checked against MaxSend as items complete (aiorpcX
// counts in completion order), so that no more than MaxSend bytes of
// results are held.
type batchBytes struct {
	mu    sync.Mutex
	items [][]byte
	total int
}

func (s *Session) storeItem(b *batchBytes, i int, r *jsonrpc.Request, resp []byte) {
	if resp == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += len(resp)
	if s.prof.MaxSend > 0 && b.total > s.prof.MaxSend {
		e := s.tooLarge()
		s.chargeError(e)
		resp = jsonrpc.EncodeError(s.Dialect(), r.ID, e)
		b.total += len(resp)
	}
	b.items[i] = resp
}
