package cost

import (
	"math"
	"net"
	"time"
)

// Spec describes a new account.
type Spec struct {
	Limits Limits
	// Addr is the peer address; it picks the subnet group.
	Addr net.Addr
	// NoGroups keeps the account out of every group (admin sessions).
	NoGroups bool
	// Owner is an opaque handle returned in group snapshots (the session).
	Owner any
	// OnTarget, if set, is called after a recalculation changed the
	// concurrency target, outside the model's lock.
	OnTarget func(old, new int)
}

// Account is one session's cost state. All methods are safe for
// concurrent use.
type Account struct {
	m      *Model
	limits Limits
	owner  any
	notify func(old, new int)
	groups []*group

	// guarded by m.mu
	cost     float64
	lastCost float64   // cost at the last recalculation
	lastTime time.Time // time of the last recalculation
	decay    float64   // cost refunded per second
	fraction float64
	target   int
	closed   bool
}

type targetChange struct {
	a        *Account
	old, new int
}

func (c targetChange) fire() {
	if c.a != nil && c.a.notify != nil {
		c.a.notify(c.old, c.new)
	}
}

// Open registers a new account, assigns its groups and computes its
// concurrency (a session joining a costly group starts throttled).
func (m *Model) Open(s Spec) *Account {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	a := &Account{
		m: m, limits: s.Limits, owner: s.Owner, notify: s.OnTarget,
		lastTime: now, decay: s.Limits.Decay(0), target: s.Limits.init(),
	}
	if !s.NoGroups {
		for _, g := range m.groupsFor(s.Addr, now) {
			g.members[a] = struct{}{}
			a.groups = append(a.groups, g)
		}
	}
	m.accounts[a] = struct{}{}
	a.recalcLocked(now)
	return a
}

// Limits returns the account's limits.
func (a *Account) Limits() Limits { return a.limits }

// Bump adds delta to the cost (never below zero) and recalculates when
// the cost moved more than RecalcThreshold since the last recalculation.
// A positive delta is capped at the limits' ChargeCeiling, so no single
// charge can cost more than the hard limit; NaN is ignored.
func (a *Account) Bump(delta float64) {
	if math.IsNaN(delta) {
		return
	}
	delta = math.Min(delta, a.limits.ChargeCeiling())
	a.m.mu.Lock()
	a.cost = math.Max(0, a.cost+delta)
	var ch targetChange
	if math.Abs(a.cost-a.lastCost) > RecalcThreshold {
		ch = a.recalcLocked(time.Now())
	}
	a.m.mu.Unlock()
	ch.fire()
}

// Recalc applies the decay and recomputes fraction and target.
func (a *Account) Recalc() {
	a.m.mu.Lock()
	ch := a.recalcLocked(time.Now())
	a.m.mu.Unlock()
	ch.fire()
}

// recalcLocked is the recalculation (docs/protocol.md, Sessions and costs):
// lazy decay, then (when throttling is enabled) fraction and target from cost
// plus the group share.
func (a *Account) recalcLocked(now time.Time) targetChange {
	if dt := now.Sub(a.lastTime).Seconds(); dt > 0 {
		a.cost = math.Max(0, a.cost-dt*a.decay)
	}
	a.lastTime, a.lastCost = now, a.cost
	if !a.limits.Throttles() || a.closed {
		return targetChange{}
	}
	a.fraction = a.limits.Fraction(a.cost + a.extraLocked())
	old := a.target
	a.target = a.limits.Target(a.fraction)
	if a.target == old {
		return targetChange{}
	}
	return targetChange{a, old, a.target}
}

// ResetDecay sets the decay rate for an account holding subs
// subscriptions: hard / (divisor + 5 × subs). The periodic work calls it
// every Period before RecalcAll.
func (a *Account) ResetDecay(subs int) {
	a.m.mu.Lock()
	a.decay = a.limits.Decay(subs)
	a.m.mu.Unlock()
}

// DecayRate returns the current decay in cost per second.
func (a *Account) DecayRate() float64 { a.m.mu.Lock(); defer a.m.mu.Unlock(); return a.decay }

// Cost returns the cost as last computed (decay is applied lazily).
func (a *Account) Cost() float64 { a.m.mu.Lock(); defer a.m.mu.Unlock(); return a.cost }

// Fraction returns the throttling fraction of the last recalculation.
func (a *Account) Fraction() float64 { a.m.mu.Lock(); defer a.m.mu.Unlock(); return a.fraction }

// Target returns the concurrency target of the last recalculation.
func (a *Account) Target() int { a.m.mu.Lock(); defer a.m.mu.Unlock(); return a.target }

// Sleep returns the delay due before each request: fraction × SleepMax.
func (a *Account) Sleep() time.Duration {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	return a.limits.Sleep(a.fraction)
}

// Throttled reports whether the target is below ThrottledRatio of the
// initial concurrency.
func (a *Account) Throttled() bool {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	return float64(a.target) < ThrottledRatio*float64(a.limits.init())
}

// ExtraCost is the account's share of its groups' cost:
// Σ weight × (group cost − own share), computed now, where a time-slice
// group's term is capped at SliceShareCap × own cost and every member's
// share (and what it retains after closing) at its ShareCeiling.
func (a *Account) ExtraCost() float64 {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	return a.extraLocked()
}

func (a *Account) extraLocked() float64 {
	extra := 0.0
	own := a.shareLocked()
	for _, g := range a.groups {
		x := g.weight * math.Max(0, g.costLocked()-own)
		if g.slice {
			x = math.Min(x, SliceShareCap*a.cost)
		}
		extra += x
	}
	return extra
}

// shareLocked is what the account's cost counts for in its groups.
func (a *Account) shareLocked() float64 { return math.Min(a.cost, a.limits.ShareCeiling()) }

// Groups returns the names of the account's groups.
func (a *Account) Groups() []string {
	out := make([]string, len(a.groups))
	for i, g := range a.groups {
		out[i] = g.name
	}
	return out
}

// Close removes the account: its cost as last computed (not decayed to
// now), capped at its ShareCeiling, is added to the retained cost of each
// of its groups. Closing twice is harmless.
func (a *Account) Close() {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if a.closed {
		return
	}
	a.closed = true
	delete(a.m.accounts, a)
	for _, g := range a.groups {
		delete(g.members, a)
		g.retained += a.shareLocked()
	}
}
