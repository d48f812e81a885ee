package session

import (
	"sort"
	"sync"
	"sync/atomic"
)

// budget is the server-wide bound on the bytes sessions hold: queued
// replies and notifications, and requests in progress (their message
// until the reply is written). Going over it closes the sessions holding
// the most until the total is back under the limit (issue 11.4), so a
// thousand slow readers cannot add up to gigabytes.
type budget struct {
	limit int64 // 0: no bound
	used  atomic.Int64
	mu    sync.Mutex // one shedding pass at a time
	shed  atomic.Int64
}

// add changes the total by n; when it goes over the limit the largest
// holders of m are closed.
func (b *budget) add(m *Manager, n int64) {
	used := b.used.Add(n)
	if n <= 0 || b.limit <= 0 || used <= b.limit {
		return
	}
	b.shedOver(m)
}

func (b *budget) shedOver(m *Manager) {
	if !b.mu.TryLock() {
		return // a pass is running; it sees this holder too
	}
	defer b.mu.Unlock()
	over := b.used.Load() - b.limit
	if over <= 0 {
		return
	}
	ss := m.Sessions()
	sort.Slice(ss, func(i, j int) bool { return ss[i].held.Load() > ss[j].held.Load() })
	for _, s := range ss {
		h := s.held.Load()
		if over <= 0 || h <= 0 {
			break
		}
		if s.aborted.Load() {
			continue
		}
		m.log.Warn("closing session over the server-wide send budget", "session", s.id,
			"held_bytes", h, "budget_bytes", b.limit)
		b.shed.Add(1)
		over -= h
		go s.abort() // not under the caller's locks
	}
}
