package session

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/core/internal/cost"
)

// Periods of the manager's background work (docs/protocol.md, Sessions and costs).
const (
	SweepPeriod           = 60 * time.Second
	DefaultSessionTimeout = 600 * time.Second
)

// Options configure a Manager.
type Options struct {
	// Costs configures the cost groups (subnet prefix lengths, the hard
	// limit that sets the group refund).
	Costs cost.Config
	// SessionTimeout closes sessions that received nothing for this long
	// (SESSION_TIMEOUT); 0 disables the sweep.
	SessionTimeout time.Duration
	// Admission bounds the sessions of capped profiles (MAX_SESSIONS and
	// the per-address and per-subnet caps).
	Admission Admission
	// SendBudget bounds the bytes all sessions hold at once: queued
	// messages and requests in progress; 0 means no bound.
	SendBudget int64
}

// Manager owns the live sessions and their cost groups.
type Manager struct {
	log     *slog.Logger
	nextID  atomic.Uint64
	wg      sync.WaitGroup
	model   *cost.Model
	timeout time.Duration
	logNew  atomic.Bool

	excessive atomic.Int64 // sessions closed over the hard limit
	idle      atomic.Int64 // sessions closed by the idle sweep

	adm      Admission
	admStats struct {
		refusedIP, refusedNet, refusedRate, refusedNetRate, refusedFull, shed atomic.Int64
	}
	budget  budget
	items   chan struct{} // batch items running server-wide (batch.go)
	decodes chan struct{} // batches being decoded server-wide (batch.go)
	pool    *goPool       // request workers' and writers' goroutines (gopool.go)
	// quiet is closed while no session is live (set under mu): the
	// pool's idle goroutines end then.
	quiet atomic.Pointer[chan struct{}]

	countMu  sync.Mutex // serialises add and remove with their OnCountChange
	mu       sync.Mutex
	sessions map[uint64]*Session
	byIP     map[string]int // admitted sessions per address
	byNet    map[string]int // admitted sessions per subnet group
	ipRates  rateBuckets    // connection buckets per address (Admission.RatePerIP)
	netRates rateBuckets    // connection buckets per subnet group (Admission.RatePerSubnet)
	capped   map[*Session]struct{}
	admitted int
	// OnCountChange, if set, is called (outside the lock) with the new
	// number of sessions after each session starts or ends. The server uses
	// it to pause and resume listeners at MAX_SESSIONS.
	OnCountChange func(n int)
}

// NewManager returns an empty manager with the default options: /24 and
// /48 groups, hard limit 10000 for group refunds, 600 s session timeout.
// logger may be nil.
func NewManager(logger *slog.Logger) *Manager {
	return NewManagerWith(logger, Options{Costs: cost.DefaultConfig(), SessionTimeout: DefaultSessionTimeout})
}

// NewManagerWith returns an empty manager configured by o. logger may be
// nil.
func NewManagerWith(logger *slog.Logger, o Options) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	m := &Manager{
		log: logger, model: cost.NewModel(o.Costs), timeout: o.SessionTimeout,
		sessions: make(map[uint64]*Session),
		adm:      o.Admission, byIP: make(map[string]int), byNet: make(map[string]int),
		capped: make(map[*Session]struct{}),
	}
	m.budget.limit = o.SendBudget
	m.items = make(chan struct{}, batchItemsRunning())
	m.decodes = make(chan struct{}, batchDecoding())
	m.setQuiet(true)
	m.pool = newGoPool(func() <-chan struct{} { return *m.quiet.Load() })
	return m
}

// SetLogNew makes future sessions log their requests (admin "log new").
func (m *Manager) SetLogNew(on bool) { m.logNew.Store(on) }

// LogNew reports whether future sessions will log their requests.
func (m *Manager) LogNew() bool { return m.logNew.Load() }

// Serve runs a session on conn, answered by a handler from f, until it
// ends. It blocks; callers run it on a goroutine per connection.
func (m *Manager) Serve(ctx context.Context, conn Conn, f Factory, p Profile) {
	if p.Concurrency <= 0 {
		p.Concurrency = 10
	}
	if p.BatchesInFlight <= 0 {
		p.BatchesInFlight = DefaultBatchesInFlight
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &Session{
		id:        m.nextID.Add(1) - 1,
		conn:      conn,
		mgr:       m,
		prof:      p,
		log:       m.log,
		ctx:       sctx,
		cancel:    cancel,
		start:     time.Now(),
		q:         sendQueue{limit: sendQueueLength, maxBytes: p.SendQueueBytes},
		writerEnd: make(chan struct{}),
	}
	if p.Capped {
		if ok, reason := m.admit(s); !ok {
			cancel()
			if m.log.Enabled(ctx, slog.LevelDebug) {
				m.log.Debug("connection refused", "reason", reason, "ip", addrString(s))
			}
			conn.Close()
			return
		}
	}
	// After admission, so that a refused connection costs less: nothing
	// that may shed an admitted session looks at these.
	s.lim = newLimiter(p.Concurrency)
	s.batches = make(chan struct{}, p.BatchesInFlight)
	// Before the cost account: the cost groups list their member
	// sessions, whose subscriptions the handler counts.
	s.h = f.NewHandler(s)
	s.acct = m.model.Open(cost.Spec{
		Limits: p.Limits(), Addr: conn.RemoteAddr(), NoGroups: p.NoGroups,
		Owner: s, OnTarget: s.targetChanged,
	})
	s.lim.setTarget(s.acct.Target())
	s.lastRecv.Store(s.start.UnixNano())
	s.logged.Store(m.LogNew())
	m.wg.Add(1)
	defer m.wg.Done()
	m.add(s)
	defer m.remove(s)
	if h, ok := conn.(interface{ SetDiscardHook(func(n int)) }); ok {
		h.SetDiscardHook(s.chargeDiscarded)
	}
	defer s.finish()
	s.AddCost(p.ConnectionCost)
	defer s.h.Closed()
	s.run()
}

func (m *Manager) add(s *Session) {
	m.countMu.Lock() // OnCountChange sees the counts in order
	defer m.countMu.Unlock()
	m.mu.Lock()
	m.sessions[s.id] = s
	n := len(m.sessions)
	if n == 1 {
		m.setQuiet(false)
	}
	m.mu.Unlock()
	m.countChanged(n)
}

func (m *Manager) remove(s *Session) {
	m.countMu.Lock()
	defer m.countMu.Unlock()
	m.mu.Lock()
	m.unadmitLocked(s)
	delete(m.sessions, s.id)
	n := len(m.sessions)
	if n == 0 {
		m.setQuiet(true)
	}
	m.mu.Unlock()
	m.countChanged(n)
}

// setQuiet closes the quiet channel (no session is live) or puts an open
// one in its place (m.mu held, or m not yet shared).
func (m *Manager) setQuiet(quiet bool) {
	if quiet {
		if c := m.quiet.Load(); c != nil {
			close(*c)
			return
		}
		c := make(chan struct{})
		close(c)
		m.quiet.Store(&c)
		return
	}
	c := make(chan struct{})
	m.quiet.Store(&c)
}

func (m *Manager) countChanged(n int) {
	if f := m.OnCountChange; f != nil {
		f(n)
	}
}

// Sessions returns the live sessions ordered by id (start order).
func (m *Manager) Sessions() []*Session {
	m.mu.Lock()
	out := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		out = append(out, s)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Get returns the session with id, or nil.
func (m *Manager) Get(id uint64) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[id]
}

// Count returns the number of live sessions.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// Shutdown closes every session and waits until all have ended or ctx is
// done.
func (m *Manager) Shutdown(ctx context.Context) error {
	for _, s := range m.Sessions() {
		s.Close()
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range m.Sessions() {
			s.cancel()
			s.conn.Close()
		}
		return ctx.Err()
	}
}
