package cost

import (
	"math"
	"time"
)

// Fixed constants of the accounting (docs/protocol.md, Sessions and costs).
const (
	// RecalcThreshold is the cost change since the last recalculation
	// above which Bump recalculates at once.
	RecalcThreshold = 100.0
	// Period is the recalculation, decay-reset and group-refund period.
	Period = 300 * time.Second
	// SliceLength is the length of a time-slice group.
	SliceLength = 300 * time.Second
	// SliceWeight is the weight of time-slice groups; SubnetWeight that
	// of subnet groups.
	SliceWeight  = 0.03
	SubnetWeight = 1.0
	// ElectrumDecayDivisor makes the decay hard/10000 per second for
	// client sessions; LibraryDecayDivisor (hard/3600) is the RPC
	// library's default, used by admin sessions.
	ElectrumDecayDivisor = 10000.0
	LibraryDecayDivisor  = 3600.0
	// SubscriptionDecayWeight: every Period the decay becomes
	// hard / (divisor + 5 × subscriptions).
	SubscriptionDecayWeight = 5.0
	// ThrottledRatio: a session whose concurrency target is below this
	// fraction of its initial concurrency counts as throttled.
	ThrottledRatio = 0.8
	// SliceShareCap bounds a session's share of its time-slice group
	// relative to its own cost: share ≤ SliceShareCap × own cost. A
	// session that has done little is never slowed by the others that
	// connected in the same slice (a restart herd of polite wallets, or a
	// stranger next to an abuser), while a flood of costly sessions
	// opened together reaches its limits at 1/(1+SliceShareCap) of the
	// cost one session alone would need.
	SliceShareCap = 1.0
)

// Limits are one session kind's throttling parameters
// (docs/protocol.md, Sessions and costs). Soft and Hard equal (for instance both 0)
// disable throttling; the cost is still counted.
type Limits struct {
	Soft, Hard float64
	// SleepMax is the delay of a request at fraction 1.
	SleepMax time.Duration
	// InitConcurrent is the concurrency of an unthrottled session; ≤ 0
	// means 10.
	InitConcurrent int
	// DecayDivisor: the cost decays by Hard/DecayDivisor per second; 0
	// means ElectrumDecayDivisor.
	DecayDivisor float64
}

// LibraryLimits are the RPC library defaults admin (rpc) sessions use:
// soft 2000, hard 10000, sleep 2.5 s, 20 concurrent, decay hard/3600.
func LibraryLimits() Limits {
	return Limits{Soft: 2000, Hard: 10000, SleepMax: 2500 * time.Millisecond, InitConcurrent: 20, DecayDivisor: LibraryDecayDivisor}
}

func (l Limits) init() int {
	if l.InitConcurrent <= 0 {
		return 10
	}
	return l.InitConcurrent
}

func (l Limits) divisor() float64 {
	if l.DecayDivisor <= 0 {
		return ElectrumDecayDivisor
	}
	return l.DecayDivisor
}

// Throttles reports whether these limits throttle at all (hard > soft).
func (l Limits) Throttles() bool { return l.Hard-l.Soft > 0 }

// Fraction is how far total lies into the throttling band:
// max(0, (total − soft) / (hard − soft)); it may exceed 1. It is 0 when
// throttling is disabled.
func (l Limits) Fraction(total float64) float64 {
	if !l.Throttles() {
		return 0
	}
	return math.Max(0, (total-l.Soft)/(l.Hard-l.Soft))
}

// Target is the concurrency target at fraction f:
// max(0, ceil((1 − f) × init)).
func (l Limits) Target(f float64) int {
	return int(math.Max(0, math.Ceil((1-f)*float64(l.init()))))
}

// Sleep is the per-request delay at fraction f: f × SleepMax.
func (l Limits) Sleep(f float64) time.Duration {
	if f <= 0 {
		return 0
	}
	return time.Duration(f * float64(l.SleepMax))
}

// ChargeCeiling is the most a single charge (one Bump, i.e. one
// handler's cost for one request) can add: the hard limit when the limits
// throttle, unbounded otherwise (the cost then has no effect). A request
// priced above it, such as a header range far past the tip whose count
// was priced before being clamped, costs the session its hard limit
// (it is disconnected) and no more.
func (l Limits) ChargeCeiling() float64 {
	if !l.Throttles() {
		return math.Inf(1)
	}
	return l.Hard
}

// ShareCeiling is the most of one session's cost its groups see, as a
// member and as retained cost after it closed: the hard limit when the
// limits throttle (a session is disconnected there), unbounded otherwise.
func (l Limits) ShareCeiling() float64 { return l.ChargeCeiling() }

// Decay is the refund rate in cost per second for a session holding subs
// subscriptions: hard / (divisor + 5 × subs).
func (l Limits) Decay(subs int) float64 {
	if subs < 0 {
		subs = 0
	}
	return l.Hard / (l.divisor() + SubscriptionDecayWeight*float64(subs))
}
