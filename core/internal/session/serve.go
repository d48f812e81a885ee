package session

import (
	"context"
	"errors"
	"io"
	"sync"
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
//
// The end of the input is the end of the connection, as in ElectrumX
// (aiorpcX): when the reader sees EOF or any read error, everything the
// session started is cancelled (requests, batches, slot waits, throttling
// sleeps), replies queued for the peer are dropped, and its admission
// place and slots are free at once. Only a close the server asked for
// (Close: over the hard limit, CloseAfterReply, shutdown) flushes what is
// queued first.
func (s *Session) run() {
	lost := s.readLoop()
	s.mgr.unadmit(s)
	if lost {
		s.abort()
	}
	s.inflight.Wait()
	s.Close()
	<-s.writerEnd
	s.cancel()
	s.conn.Close()
	s.grace.Stop() // set: Close has returned on this goroutine
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
		if it.at != 0 && time.Now().Sub(time.Unix(0, it.at)) > NotifyTimeout && !s.closing.Load() {
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

// readLoop reads and starts requests until the connection ends. It
// reports whether the peer is gone (EOF or a read error), as opposed to
// a close the server asked for.
func (s *Session) readLoop() (lost bool) {
	// Single requests run on workers that take request after request for
	// as long as the reader runs (see workers in batch.go).
	work := newWorkers(s.mgr.pool)
	defer close(work.jobs)
	for first := true; ; first = false {
		msg, err := s.readNext(first)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.log.Debug("read failed, closing session", "session", s.id, "err", err)
			}
			return !s.closing.Load()
		}
		if s.closing.Load() {
			return false
		}
		s.lastRecv.Store(time.Now().UnixNano())
		s.counters.RecvCount.Add(1)
		s.counters.RecvBytes.Add(int64(len(msg)))
		s.chargeBandwidth(len(msg))
		if f := s.prof.ObserveBytes; f != nil {
			f(len(msg), 0)
		}
		if s.logged.Load() {
			s.log.Info("request", "session", s.id, "msg", string(msg))
		}
		var turn *batchTurn
		lane := false
		if isBatch(msg) {
			w := s.watchPeer()
			turn = s.batchPlace(len(msg))
			if s.ctx.Err() == nil && s.atHardLimit(len(msg)) {
				// Refused before it is decoded (and before it waits for
				// a decoding turn): see atHardLimit.
				w.stop()
				s.dropTurn(turn)
				s.refuseBatch()
				return false
			}
			lane = s.takeLane(turn.ctx, len(msg))
			w.stop()
			if s.ctx.Err() != nil {
				s.giveLane(lane)
				s.dropTurn(turn)
				return s.aborted.Load() || !s.closing.Load()
			}
		}
		d := s.Dialect()
		reqs, batch, id, rerr := jsonrpc.Decode(msg, &d)
		s.giveLane(lane)
		s.dialect.Store(int32(d))
		if turn != nil && (rerr != nil || !batch) {
			s.dropTurn(turn)
			turn = nil
		}
		if rerr != nil {
			s.chargeError(rerr)
			s.observe("", rerr.Code, 0)
			s.reply(jsonrpc.EncodeError(d, id, rerr))
			continue
		}
		// Until the handler reports a negotiated protocol, requests run
		// one at a time in order, so that a request pipelined after the
		// negotiation sees its outcome (docs/protocol.md, Version negotiation).
		serial := s.prof.SerialUntilProtocol && s.Protocol() == ""
		w := s.watchPeer()
		ok := false
		if batch && turn == nil {
			turn = s.batchPlace(len(msg)) // a batch isBatch did not see
		}
		if batch {
			ok = s.startBatch(reqs, serial, turn)
		} else {
			ok = s.startOne(reqs[0], len(msg), serial, work)
		}
		w.stop()
		if !ok {
			// The session ended while the reader waited: lost when the
			// peer went away (its context is cancelled by abort).
			return s.aborted.Load() || !s.closing.Load()
		}
	}
}

// peerWatcher is implemented by connections that can tell, without
// reading, that the peer has closed (the transport's TCP and TLS
// connections on Linux).
type peerWatcher interface{ PeerClosed() bool }

// peerCheckPeriod is how often a reader held back by back-pressure checks
// whether its peer is gone.
const peerCheckPeriod = 200 * time.Millisecond

// peerWatch aborts the session when its peer closes while the reader
// waits (for a slot, a batch place or a serial request) and so cannot see
// the EOF: a client that sends large batches and leaves is cancelled
// within peerCheckPeriod, not when its work is done. A session has one,
// with one timer, armed while the reader waits and disarmed after (the
// reader arms it once or twice per message; a new timer each time cost a
// timer and a closure per request).
type peerWatch struct {
	s     *Session
	pw    peerWatcher
	mu    sync.Mutex
	t     *time.Timer // created on the first arming
	armed bool
}

// watchPeer arms the session's peer watch (nil when the connection cannot
// tell a closed peer); stop disarms it. Only the reader calls it.
func (s *Session) watchPeer() *peerWatch {
	if s.peer == nil {
		pw, ok := s.conn.(peerWatcher)
		if !ok {
			return nil
		}
		s.peer = &peerWatch{s: s, pw: pw}
	}
	w := s.peer
	w.mu.Lock()
	w.armed = true
	if w.t == nil {
		w.t = time.AfterFunc(peerCheckPeriod, w.check)
	} else {
		w.t.Reset(peerCheckPeriod)
	}
	w.mu.Unlock()
	return w
}

// check runs on the timer: while armed, it aborts the session if the
// peer is gone and looks again a period later. A run left over from an
// earlier arming finds the watch disarmed, or armed again and then checks
// early, which is harmless.
func (w *peerWatch) check() {
	w.mu.Lock()
	armed := w.armed
	w.mu.Unlock()
	if !armed {
		return
	}
	if w.pw.PeerClosed() {
		w.s.log.Debug("peer closed while the reader waited, closing session", "session", w.s.id)
		w.s.abort()
		return
	}
	w.mu.Lock()
	if w.armed {
		w.t.Reset(peerCheckPeriod)
	}
	w.mu.Unlock()
}

func (w *peerWatch) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.armed = false
	w.t.Stop()
	w.mu.Unlock()
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
func (s *Session) startOne(r *jsonrpc.Request, size int, serial bool, work *workers) bool {
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
	o := &single{call: call{s: s, r: r}, ctx: ctx, cancel: cancel, size: size}
	o.fin = o
	if serial {
		o.answered = make(chan struct{})
	}
	work.start(o)
	if serial {
		<-o.answered // bounded by the request deadline
	}
	return true
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

// answer is the answer to a request that runs no handler: one that
// failed to decode, or a notification (nil: never answered). It returns
// the encoded response and the error code.
func (s *Session) answer(r *jsonrpc.Request) ([]byte, int) {
	if r.Err != nil {
		s.chargeError(r.Err)
		if r.Notification {
			// A response object sent to us: counted, never answered
			// (aiorpcX does the same).
			return nil, r.Err.Code
		}
		return jsonrpc.EncodeError(s.Dialect(), r.ID, r.Err), r.Err.Code
	}
	// Clients have no notifications to send: charged as an error, never
	// answered; the handler may look at it and ask for the session to
	// close.
	s.chargeError(&jsonrpc.Error{})
	s.h.Notified(r.Method)
	return nil, 0
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

// dispatch sleeps the throttling delay and calls the handler, both under
// ctx.
func (s *Session) dispatch(ctx context.Context, r *jsonrpc.Request) (any, error) {
	if err := s.throttleSleep(ctx); err != nil {
		return nil, err
	}
	return s.h.Handle(ctx, r.Method, r.Params)
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
	if c := s.prof.BatchItemCost; c > 0 && s.ctx.Err() == nil {
		s.AddCost(-c) // answered: its up-front charge is given back (BatchItemCost)
	}
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
