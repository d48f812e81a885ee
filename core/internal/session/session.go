package session

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/core/internal/cost"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// Conn is one client connection delivering whole messages; the transport
// package's connections satisfy it.
type Conn interface {
	ReadMessage(ctx context.Context) ([]byte, error)
	WriteMessage(ctx context.Context, msg []byte) error
	Close() error
	RemoteAddr() net.Addr
	Kind() string
}

// Handler is the protocol side of one session: it answers the session's
// requests and owns the session's protocol state (what the client
// negotiated, its subscriptions, ...). A Factory opens one per session;
// the session layer calls it from several goroutines at once.
type Handler interface {
	// Handle answers one request. It returns the result to encode, or an
	// error: a *jsonrpc.Error is sent to the client as is, any other error
	// becomes an internal error. A json.RawMessage result is sent unchanged.
	Handle(ctx context.Context, method string, params json.RawMessage) (any, error)
	// Notified sees a notification (a request without an id) the client
	// sent; it is never answered. The handler may call the session's
	// CloseAfterReply to end the session.
	Notified(method string)
	// Closed is called once after the session has ended. Handle may still
	// be running when Closed is called and after it returns: a request
	// that overran its deadline was answered with the timeout error and
	// gave up its slot, but its Handle call finishes in the background,
	// and the session does not wait for it. A handler must tolerate such
	// late calls (guard its state, and drop what they would add, such as
	// a subscription made after Closed).
	Closed()
	// Info reports the handler's state as the session layer and the
	// operator see it.
	Info() Info
}

// Info is what a Handler reports of its state.
type Info struct {
	// Client is the client's name ("" until it identified itself).
	Client string
	// Protocol is the negotiated protocol version, "" before negotiation:
	// until it is set, a Profile with SerialUntilProtocol runs requests
	// one at a time, in order.
	Protocol string
	// Subscriptions is how many subscriptions the handler holds: they slow
	// the session's cost decay and show in the group statistics.
	Subscriptions int
}

// Factory opens the Handler of each new session (package electrum for
// clients, package admin for the admin RPC).
type Factory interface {
	// NewHandler is called once per session, after admission and before
	// the session is listed by the Manager or reads a request. It only
	// sets up state: the session's cost account does not exist yet.
	NewHandler(s *Session) Handler
}

// FactoryFunc is a function that is a Factory.
type FactoryFunc func(s *Session) Handler

// NewHandler calls f.
func (f FactoryFunc) NewHandler(s *Session) Handler { return f(s) }

// Costs charged by the session itself (docs/protocol.md, Sessions and costs).
const (
	ConnectionCost   = 5.0
	ErrorBaseCost    = 100.0
	ParseErrorCost   = 1000.0 // on top of ErrorBaseCost
	sendQueueLength  = 4096
	closeGracePeriod = time.Second
)

// Session is one client connection.
type Session struct {
	id        uint64
	conn      Conn
	mgr       *Manager
	h         Handler // the protocol side, set before the session is listed
	prof      Profile
	log       *slog.Logger
	ctx       context.Context
	cancel    context.CancelFunc
	start     time.Time
	acct      *cost.Account
	lim       *limiter
	q         sendQueue     // replies and notifications to write
	writerEnd chan struct{} // closed once the queue is closed and written
	closing   atomic.Bool
	closeOnce sync.Once
	grace     *time.Timer  // set by Close: ends the session after closeGracePeriod
	dialect   atomic.Int32 // jsonrpc.Dialect, fixed by the first message

	lastRecv  atomic.Int64 // unix nanos of the last received message
	logged    atomic.Bool
	counters  Counters
	pending   atomic.Int64
	inflight  sync.WaitGroup
	closeFlag atomic.Bool // CloseAfterReply requested
	dropped   atomic.Bool // closed for excessive resource usage

	batches chan struct{} // one token per batch in flight
	held    atomic.Int64  // bytes held in the server-wide budget
	aborted atomic.Bool   // closed without flushing its queue
	peer    *peerWatch    // the reader's peer-closed watch (serve.go), nil until first armed

	// Admission (guarded by the manager's mu).
	admitted      bool
	ipKey, netKey string
}

// Counters are a session's traffic and error counts.
type Counters struct {
	RecvCount, RecvBytes, SendCount, SendBytes, Errors, TxsSent atomic.Int64
}

// ID returns the session id (unique for the process lifetime).
func (s *Session) ID() uint64 { return s.id }

// Kind returns the transport kind: TCP, SSL, WS, WSS or RPC.
func (s *Session) Kind() string { return s.conn.Kind() }

// RemoteAddr returns the peer address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// Context is cancelled when the session ends.
func (s *Session) Context() context.Context { return s.ctx }

// Start is when the session was accepted.
func (s *Session) Start() time.Time { return s.start }

// Counters returns the session's live counters.
func (s *Session) Counters() *Counters { return &s.counters }

// Pending returns the number of requests being handled.
func (s *Session) Pending() int64 { return s.pending.Load() }

// LastReceived returns when the session last received a message.
func (s *Session) LastReceived() time.Time { return time.Unix(0, s.lastRecv.Load()) }

// SetLogged turns request logging for this session on or off.
func (s *Session) SetLogged(on bool) { s.logged.Store(on) }

// Logged reports whether requests of this session are logged.
func (s *Session) Logged() bool { return s.logged.Load() }

// Closing reports whether the session is shutting down.
func (s *Session) Closing() bool { return s.closing.Load() }

// Client returns the client label ("unknown" until identified).
func (s *Session) Client() string {
	if c := s.h.Info().Client; c != "" {
		return c
	}
	return "unknown"
}

// Protocol returns the negotiated protocol version ("" before negotiation).
func (s *Session) Protocol() string { return s.h.Info().Protocol }

// AddCost adds c to the session's resource cost (never below zero); a
// large change recalculates the session's throttling.
func (s *Session) AddCost(c float64) { s.acct.Bump(c) }

// Cost returns the session's cost as last computed (decay is applied at
// recalculations).
func (s *Session) Cost() float64 { return s.acct.Cost() }

// ExtraCost returns the session's share of its groups' cost (XCost).
func (s *Session) ExtraCost() float64 { return s.acct.ExtraCost() }

// ConcurrencyTarget returns how many requests the session may run at
// once; 0 means the next request is refused and the session closed.
func (s *Session) ConcurrencyTarget() int { return s.acct.Target() }

// Throttled reports whether the concurrency target is below 80% of the
// initial concurrency.
func (s *Session) Throttled() bool { return s.acct.Throttled() }

// Groups returns the names of the session's cost groups.
func (s *Session) Groups() []string { return s.acct.Groups() }

// Subscriptions returns the number of subscriptions the session's handler
// holds.
func (s *Session) Subscriptions() int { return s.h.Info().Subscriptions }

// CloseAfterReply makes the session close once the reply to the current
// request has been written.
func (s *Session) CloseAfterReply() { s.closeFlag.Store(true) }

// ErrSendQueueFull is returned by Notify when the client does not read.
var ErrSendQueueFull = errors.New("session: send queue full")

// Notify queues a server notification. It never blocks: a client that lets
// its queue fill up is disconnected.
func (s *Session) Notify(method string, params any) error {
	msg, err := jsonrpc.EncodeNotification(s.Dialect(), method, params)
	if err != nil {
		return err
	}
	return s.push(qItem{msg: msg, at: time.Now().UnixNano()})
}

// Dialect returns the JSON-RPC dialect fixed by the first message.
func (s *Session) Dialect() jsonrpc.Dialect { return jsonrpc.Dialect(s.dialect.Load()) }

func (s *Session) send(msg []byte) error { return s.push(qItem{msg: msg}) }

// push queues it, holding its bytes in the server-wide budget until it is
// written or dropped. On failure it.done has not run: the caller runs it.
// A session whose queue is full (messages or bytes) is closed.
func (s *Session) push(it qItem) error {
	if s.closing.Load() {
		return net.ErrClosed
	}
	n := len(it.msg)
	s.hold(n)
	inner := it.done
	it.done = func() {
		s.unhold(n)
		if inner != nil {
			inner()
		}
	}
	start, err := s.q.pushItem(it)
	if err != nil {
		s.unhold(n)
	}
	if err == ErrSendQueueFull {
		s.log.Warn("send queue full, closing session", "session", s.id, "queued_bytes", s.q.size())
		s.Close()
		return err
	}
	if err != nil {
		return err
	}
	if start {
		s.mgr.pool.Go(s.writeLoop)
	}
	return nil
}

// hold adds n bytes to what the session holds in the server-wide budget;
// going over the budget closes the largest holders.
func (s *Session) hold(n int) {
	s.held.Add(int64(n))
	s.mgr.budget.add(s.mgr, int64(n))
}

func (s *Session) unhold(n int) {
	s.held.Add(-int64(n))
	s.mgr.budget.add(s.mgr, -int64(n))
}

// Held returns the bytes the session holds in the server-wide budget
// (queued messages and requests in progress).
func (s *Session) Held() int64 { return s.held.Load() }

// abort closes the session at once: queued messages are dropped, its
// context is cancelled (so everything it started ends) and the
// connection is closed.
func (s *Session) abort() {
	if s.aborted.Swap(true) {
		return
	}
	s.Close()
	s.cancel()
	s.conn.Close()
	s.q.discard()
}

// graceExpired ends a closing session whose queue has not been written
// within closeGracePeriod (nothing to do if it has ended meanwhile).
func (s *Session) graceExpired() {
	if s.ctx.Err() == nil {
		s.cancel()
		s.conn.Close()
	}
}

// Close ends the session: queued messages are flushed for up to a second,
// then the connection is closed.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		if s.q.close() {
			s.mgr.pool.Go(s.writeLoop) // nothing queued: it closes the connection
		}
		// A timer, not a goroutine waiting on it: run stops it once the
		// session has ended.
		s.grace = time.AfterFunc(closeGracePeriod, s.graceExpired)
	})
}
