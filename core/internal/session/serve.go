package session

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/amber-electrum/amber/sdk/pyfmt"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// run is the session's life: the reader on this goroutine. A writer
// goroutine runs only while messages are queued (see sendQueue), so an
// idle session costs one goroutine. It returns when the connection is
// finished.
func (s *Session) run() {
	s.readLoop()
	// The client stopped sending (EOF) or the session is closing: let the
	// requests already read finish and be answered, then close.
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
		msg, st := s.q.next()
		switch st {
		case qIdle:
			return
		case qDrained:
			s.cancel()
			s.conn.Close()
			close(s.writerEnd)
			return
		}
		// Counted before the write: once the client has the message, every
		// counter already shows it.
		s.counters.SendCount.Add(1)
		s.counters.SendBytes.Add(int64(len(msg)))
		if err := s.conn.WriteMessage(s.ctx, msg); err != nil {
			s.log.Debug("write failed, closing session", "session", s.id, "err", err)
			s.cancel()
			s.conn.Close()
			s.Close()
			s.q.discard() // next reports qDrained: senders get net.ErrClosed
			continue
		}
		s.chargeBandwidth(len(msg))
		if f := s.prof.ObserveBytes; f != nil {
			f(0, len(msg))
		}
	}
}

func (s *Session) readLoop() {
	for {
		msg, err := s.conn.ReadMessage(s.ctx)
		if err != nil || s.closing.Load() {
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
		if batch {
			s.inflight.Add(1)
			go s.handleBatch(reqs)
			continue
		}
		if err := s.acquire(); err != nil {
			if errors.Is(err, errExcessive) {
				if resp := s.refuse(reqs[0]); resp != nil {
					_ = s.send(resp)
				}
				s.drop()
			}
			return
		}
		go s.serveOne(reqs[0])
	}
}

// serveOne answers a single (non-batch) request on its own goroutine and
// releases its slot. Release comes only after the reply is queued: run()
// waits for in-flight requests before it closes the send queue.
//
// Under a request deadline the handler runs on this goroutine and the
// -102 answer comes from a context.AfterFunc, whichever finishes first
// replying and releasing: the same behaviour as dispatch's waiting
// goroutine (a handler that overruns finishes unobserved in the
// background) without a second goroutine and a channel per request.
func (s *Session) serveOne(r *jsonrpc.Request) {
	if s.prof.RequestTimeout <= 0 || r.Err != nil || r.Notification {
		defer s.release()
		if resp := s.process(r); resp != nil {
			s.reply(resp)
		} else if s.closeFlag.Load() {
			s.Close() // a notification asked for the close (NotificationHandler)
		}
		return
	}
	start := s.clock.Now()
	ctx, cancel := context.WithTimeout(s.ctx, s.prof.RequestTimeout)
	defer cancel()
	var state atomic.Int32 // 0 running, 1 answered, 2 timed out
	stop := context.AfterFunc(ctx, func() {
		if !state.CompareAndSwap(0, 2) {
			return
		}
		e := timedOut()
		resp := s.errorReply(r, e)
		s.observe(r.Method, e.Code, s.clock.Now().Sub(start))
		s.reply(resp)
		s.release()
	})
	var result any
	err := s.throttleSleep(ctx)
	if err == nil {
		result, err = s.disp.Dispatch(ctx, s, r.Method, r.Params)
	}
	if !state.CompareAndSwap(0, 1) {
		return // answered -102 already
	}
	stop()
	resp, code := s.encodeAnswer(r, result, err)
	s.observe(r.Method, code, s.clock.Now().Sub(start))
	s.reply(resp)
	s.release()
}

// acquire takes a concurrency slot. It fails when the session ends, and
// with errExcessive when the session's concurrency target is 0.
func (s *Session) acquire() error {
	if err := s.lim.acquire(s.ctx); err != nil {
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

func (s *Session) handleBatch(reqs []*jsonrpc.Request) {
	defer s.inflight.Done()
	resps := make([][]byte, len(reqs))
	done := make(chan struct{}, len(reqs))
	started, refused := 0, false
	for i, r := range reqs {
		if refused {
			resps[i] = s.refuse(r)
			continue
		}
		if err := s.acquire(); err != nil {
			if !errors.Is(err, errExcessive) {
				for ; started > 0; started-- {
					<-done
				}
				return
			}
			refused = true
			resps[i] = s.refuse(r)
			continue
		}
		started++
		go func(i int, r *jsonrpc.Request) {
			resps[i] = s.process(r)
			s.release()
			done <- struct{}{}
		}(i, r)
	}
	for ; started > 0; started-- {
		<-done
	}
	items := resps[:0]
	total := 0
	for i, b := range resps {
		if b == nil {
			continue
		}
		total += len(b)
		if s.prof.MaxSend > 0 && total > s.prof.MaxSend {
			e := s.tooLarge()
			s.chargeError(e)
			b = jsonrpc.EncodeError(s.Dialect(), reqs[i].ID, e)
			total += len(b)
		}
		items = append(items, b)
	}
	if len(items) > 0 {
		s.reply(jsonrpc.EncodeBatch(items))
	} else if s.closeFlag.Load() {
		s.Close() // a notification asked for the close (NotificationHandler)
	}
	if refused {
		s.drop()
	}
}

// reply queues a response and honours CloseAfterReply.
func (s *Session) reply(msg []byte) {
	_ = s.send(msg)
	if s.closeFlag.Load() {
		s.Close()
	}
}

// process runs one request and returns its encoded response, or nil when
// none is due (notifications). Answered requests are reported to
// Profile.Observe.
func (s *Session) process(r *jsonrpc.Request) []byte {
	start := s.clock.Now()
	resp, code := s.answer(r)
	if resp != nil {
		s.observe(r.Method, code, s.clock.Now().Sub(start))
	}
	return resp
}

// answer runs one request and returns its encoded response (nil for
// notifications) and the error code (0 on success).
func (s *Session) answer(r *jsonrpc.Request) ([]byte, int) {
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
		// never answered (protocol.md §1.2); the dispatcher may look at
		// it (NotificationHandler).
		s.chargeError(&jsonrpc.Error{})
		if nh, ok := s.disp.(NotificationHandler); ok {
			nh.Notified(s, r.Method)
		}
		return nil, 0
	}
	result, err := s.dispatch(r)
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
// exact text, which clients may match (protocol.md §10 #13).
func (s *Session) tooLarge() *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.InvalidRequest, "response too large (over %s bytes", pyfmt.Thousands(int64(s.prof.MaxSend)))
}

// dispatch sleeps the throttling delay and calls the dispatcher, both
// under the request deadline. A handler that overruns it is answered with
// -102 (charged as an error) while it finishes in the background.
func (s *Session) dispatch(r *jsonrpc.Request) (any, error) {
	if s.prof.RequestTimeout <= 0 {
		if err := s.throttleSleep(s.ctx); err != nil {
			return nil, err
		}
		return s.disp.Dispatch(s.ctx, s, r.Method, r.Params)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.prof.RequestTimeout)
	defer cancel()
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
		res, err := s.disp.Dispatch(ctx, s, r.Method, r.Params)
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
