package session

import (
	"context"
	"sort"
	"time"

	"github.com/amber-electrum/amber/core/internal/cost"
)

// Run does the manager's periodic work until ctx ends: the idle sweep
// (every SweepInterval) and the cost recalculation (group refunds, decay
// reset, every session's recalc) every 300 s. It returns nil.
func (m *Manager) Run(ctx context.Context) error {
	sweep := time.NewTicker(m.SweepInterval())
	defer sweep.Stop()
	recalc := time.NewTicker(cost.Period)
	defer recalc.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			m.SweepIdle()
		case <-recalc.C:
			m.Recalc()
		}
	}
}

// SweepInterval is the idle sweep's period: a tenth of the session
// timeout, between 1 s and SweepPeriod, so that an idle session is closed
// within 10 % of session_timeout after it expires.
func (m *Manager) SweepInterval() time.Duration {
	if m.timeout <= 0 {
		return SweepPeriod
	}
	return min(max(m.timeout/10, time.Second), SweepPeriod)
}

// SweepIdle closes every session whose last received message is older
// than the session timeout (outgoing notifications are no activity). It
// returns how many it closed.
func (m *Manager) SweepIdle() int {
	m.pruneRates()
	if m.timeout <= 0 {
		return 0
	}
	now := time.Now()
	n := 0
	for _, s := range m.Sessions() {
		if s.Closing() || now.Sub(s.LastReceived()) <= m.timeout {
			continue
		}
		s.log.Info("closing idle session", "session", s.id, "idle", now.Sub(s.LastReceived()).Round(time.Second))
		s.Close() // forceful after the close grace period
		n++
	}
	m.idle.Add(int64(n))
	return n
}

// Recalc is the 300 s cost work: group refunds and deletion, then every
// session's decay reset to hard/(divisor + 5 × subscriptions) and recalc.
func (m *Manager) Recalc() {
	m.model.Refund()
	for _, s := range m.Sessions() {
		s.acct.ResetDecay(s.Subscriptions())
	}
	m.model.RecalcAll()
}

// Stats are manager-wide counters for metrics.
type Stats struct {
	Sessions  int   // live sessions
	Throttled int   // live sessions below 80% of their initial concurrency
	Excessive int64 // sessions closed over the hard cost limit, ever
	Idle      int64 // sessions closed by the idle sweep, ever
}

// Stats returns the current counters.
func (m *Manager) Stats() Stats {
	ss := m.Sessions()
	st := Stats{Sessions: len(ss), Excessive: m.excessive.Load(), Idle: m.idle.Load()}
	for _, s := range ss {
		if s.Throttled() {
			st.Throttled++
		}
	}
	return st
}

// GroupInfo is one cost group as admin "groups" shows it.
type GroupInfo struct {
	Name         string
	Weight       float64
	Sessions     int
	Members      []uint64 // ids of the live member sessions, ascending
	MembersCost  float64  // Σ member cost
	RetainedCost float64  // cost left by closed members
	Pending      int64    // requests being handled
	TxsSent      int64
	Subs         int64
	RecvCount    int64
	RecvBytes    int64
	SendCount    int64
	SendBytes    int64
}

// Groups returns every cost group ordered by name.
func (m *Manager) Groups() []GroupInfo {
	gs := m.model.Groups()
	out := make([]GroupInfo, len(gs))
	for i, g := range gs {
		gi := GroupInfo{Name: g.Name, Weight: g.Weight, Sessions: len(g.Owners), MembersCost: g.MembersCost, RetainedCost: g.RetainedCost}
		for _, o := range g.Owners {
			s, ok := o.(*Session)
			if !ok {
				continue
			}
			gi.Members = append(gi.Members, s.id)
			c := s.Counters()
			gi.Pending += s.Pending()
			gi.TxsSent += c.TxsSent.Load()
			gi.Subs += int64(s.Subscriptions())
			gi.RecvCount += c.RecvCount.Load()
			gi.RecvBytes += c.RecvBytes.Load()
			gi.SendCount += c.SendCount.Load()
			gi.SendBytes += c.SendBytes.Load()
		}
		sort.Slice(gi.Members, func(a, b int) bool { return gi.Members[a] < gi.Members[b] })
		out[i] = gi
	}
	return out
}
