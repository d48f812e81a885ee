package session

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Manager owns the live sessions.
type Manager struct {
	log    *slog.Logger
	nextID atomic.Uint64
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions map[uint64]*Session
	// OnCountChange, if set, is called (outside the lock) with the new
	// number of sessions after each session starts or ends. The server uses
	// it to pause and resume listeners at MAX_SESSIONS.
	OnCountChange func(n int)
}

// NewManager returns an empty manager. logger may be nil.
func NewManager(logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	return &Manager{log: logger, sessions: make(map[uint64]*Session)}
}

// Serve runs a session on conn until it ends. It blocks; callers run it on a
// goroutine per connection.
func (m *Manager) Serve(ctx context.Context, conn Conn, d Dispatcher, p Profile) {
	if p.Concurrency <= 0 {
		p.Concurrency = 10
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &Session{
		id:     m.nextID.Add(1) - 1,
		conn:   conn,
		mgr:    m,
		disp:   d,
		prof:   p,
		log:    m.log,
		ctx:    sctx,
		cancel: cancel,
		start:  time.Now(),
		sem:    make(chan struct{}, p.Concurrency),
		out:    make(chan []byte, sendQueueLength),
	}
	s.lastRecv.Store(s.start.UnixNano())
	m.wg.Add(1)
	defer m.wg.Done()
	m.add(s)
	defer m.remove(s)
	s.AddCost(p.ConnectionCost)
	d.Opened(s)
	defer d.Closed(s)
	s.run()
}

func (m *Manager) add(s *Session) {
	m.mu.Lock()
	m.sessions[s.id] = s
	n := len(m.sessions)
	m.mu.Unlock()
	m.countChanged(n)
}

func (m *Manager) remove(s *Session) {
	m.mu.Lock()
	delete(m.sessions, s.id)
	n := len(m.sessions)
	m.mu.Unlock()
	m.countChanged(n)
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
