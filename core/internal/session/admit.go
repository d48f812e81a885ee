package session

import (
	"net"
	"net/netip"
	"time"

	"golang.org/x/time/rate"
)

// Admission bounds who may open a session (issue 11.5). Only sessions
// whose profile is Capped take part (client services; not the admin RPC).
type Admission struct {
	// MaxSessions is the most capped sessions at once (MAX_SESSIONS); 0
	// means no limit. At the limit a new session is admitted in place of
	// the oldest idle session of the most-connected group; without one,
	// the new connection is refused.
	MaxSessions int
	// PerIP and PerSubnet bound the sessions of one address and of one
	// subnet group (prefix lengths V4Prefix and V6Prefix, the cost groups'
	// /24 and /48 by default); 0 means no limit.
	PerIP, PerSubnet   int
	V4Prefix, V6Prefix int
	// RatePerIP and BurstPerIP bound how fast one address may open
	// sessions: a token bucket holding BurstPerIP sessions, refilled at
	// RatePerIP a second (a client that reconnects in a loop costs a
	// session's set-up each time, which no per-session cost can throttle).
	// RatePerIP 0 means no limit; BurstPerIP below 1 means 1.
	RatePerIP  float64
	BurstPerIP int
	// RatePerSubnet and BurstPerSubnet bound how fast one subnet group
	// (the groups of PerSubnet) may open sessions, in the same way: a
	// client that takes a new address for each connection (an IPv6 /48
	// holds 2^80) passes every per-address bound. A connection refused by
	// its address's bucket takes no token from its subnet's. RatePerSubnet
	// 0 means no limit; BurstPerSubnet below 1 means 1.
	RatePerSubnet  float64
	BurstPerSubnet int
	// LimitPrivate applies the per-address and per-subnet limits to
	// loopback and private addresses too (by default they are exempt: Tor
	// arrives on loopback).
	LimitPrivate bool
}

// AdmissionStats count admission decisions since start.
type AdmissionStats struct {
	RefusedPerIP, RefusedPerSubnet, RefusedRate, RefusedSubnetRate, RefusedFull, Shed, ShedOverBudget int64
}

// addrKeys returns the address and subnet-group keys of a peer.
func (a Admission) addrKeys(addr net.Addr) (ip netip.Addr, ipKey, netKey string) {
	var ap netip.AddrPort
	if t, ok := addr.(*net.TCPAddr); ok && t != nil {
		ap = t.AddrPort() // without formatting and parsing it again
		if !ap.Addr().IsValid() {
			return netip.Addr{}, "?", "?"
		}
	} else {
		var err error
		if ap, err = netip.ParseAddrPort(peerString(addr)); err != nil {
			return netip.Addr{}, "?", "?"
		}
	}
	ip = ap.Addr().Unmap()
	bits := a.V4Prefix
	if bits <= 0 {
		bits = 24
	}
	if ip.Is6() {
		bits = a.V6Prefix
		if bits <= 0 {
			bits = 48
		}
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ip, ip.String(), ip.String()
	}
	return ip, ip.String(), p.String()
}

func peerString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func exempt(ip netip.Addr) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()
}

// admit decides whether s may start; on a refusal it returns a reason.
// At MaxSessions it sheds a victim (closed outside the lock).
func (m *Manager) admit(s *Session) (ok bool, reason string) {
	a := m.adm
	ip, ipKey, netKey := a.addrKeys(s.RemoteAddr())
	var victim *Session
	m.mu.Lock()
	if a.LimitPrivate || !exempt(ip) {
		if !m.ipRates.allow(ipKey, a.RatePerIP, a.BurstPerIP, m.byIP) {
			m.mu.Unlock()
			m.admStats.refusedRate.Add(1)
			return false, "connect_rate_per_ip"
		}
		if !m.netRates.allow(netKey, a.RatePerSubnet, a.BurstPerSubnet, m.byNet) {
			m.mu.Unlock()
			m.admStats.refusedNetRate.Add(1)
			return false, "connect_rate_per_subnet"
		}
		if a.PerIP > 0 && m.byIP[ipKey] >= a.PerIP {
			m.mu.Unlock()
			m.admStats.refusedIP.Add(1)
			return false, "max_sessions_per_ip"
		}
		if a.PerSubnet > 0 && m.byNet[netKey] >= a.PerSubnet {
			m.mu.Unlock()
			m.admStats.refusedNet.Add(1)
			return false, "max_sessions_per_subnet"
		}
	}
	if a.MaxSessions > 0 && m.admitted >= a.MaxSessions {
		victim = m.victimLocked()
		if victim == nil {
			m.mu.Unlock()
			m.admStats.refusedFull.Add(1)
			return false, "max_sessions"
		}
		m.unadmitLocked(victim)
	}
	s.admitted, s.ipKey, s.netKey = true, ipKey, netKey
	m.capped[s] = struct{}{}
	m.byIP[ipKey]++
	m.byNet[netKey]++
	m.admitted++
	m.mu.Unlock()
	if victim != nil {
		m.admStats.shed.Add(1)
		m.log.Debug("max_sessions reached: closing the oldest idle session of the most-connected group",
			"session", victim.id, "group", victim.netKey)
		victim.abort()
	}
	return true, ""
}

// maxRateBuckets bounds the connection buckets held at once in each of
// the address and subnet maps, so that connections from ever new
// addresses (an IPv6 /64 holds 2^64) or subnets cannot grow a map without
// bound between two idle sweeps. Past it the full buckets are pruned at
// once (at most once a second); if it is still full, a new address or
// subnet is admitted untracked: an attacker holding that many addresses is
// past what a per-address bound can stop, and strangers are not refused
// for it (the per-subnet caps and max_sessions still apply).
const maxRateBuckets = 1 << 16

// rateBuckets are connection token buckets by key (an address or a subnet
// group), guarded by the manager's mu.
type rateBuckets struct {
	m      map[string]*rate.Limiter
	pruned time.Time // last prune at maxRateBuckets
}

// allow takes one token from key's bucket (rate a second, burst at
// least 1; rate 0: no limit); it reports false when the bucket is empty.
// held counts the sessions by key: the prune keeps the buckets of keys
// that hold sessions.
func (b *rateBuckets) allow(key string, r float64, burst int, held map[string]int) bool {
	if r <= 0 {
		return true
	}
	l := b.m[key]
	if l == nil {
		if len(b.m) >= maxRateBuckets {
			if now := time.Now(); now.Sub(b.pruned) >= time.Second {
				b.pruned = now
				b.prune(held)
			}
			if len(b.m) >= maxRateBuckets {
				return true
			}
		}
		if b.m == nil {
			b.m = make(map[string]*rate.Limiter)
		}
		l = rate.NewLimiter(rate.Limit(r), max(burst, 1))
		b.m[key] = l
	}
	return l.Allow()
}

// prune forgets the buckets that have refilled and whose key holds no
// session: they would admit the next connection anyway.
func (b *rateBuckets) prune(held map[string]int) {
	for k, l := range b.m {
		if held[k] == 0 && l.Tokens() >= float64(l.Burst()) {
			delete(b.m, k)
		}
	}
}

// pruneRates forgets the connection buckets (address and subnet) that
// have refilled and whose key holds no session. The idle sweep calls it,
// so the maps hold at most the keys seen within about one refill time
// (and never more than maxRateBuckets each).
func (m *Manager) pruneRates() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ipRates.prune(m.byIP)
	m.netRates.prune(m.byNet)
}

// victimLocked picks the session to shed at MaxSessions: the oldest idle
// one (nothing pending, nothing queued; least recently heard from) of the
// group with the most sessions, trying smaller groups when a group has no
// idle member.
func (m *Manager) victimLocked() *Session {
	type group struct {
		n    int
		best *Session
	}
	groups := map[string]*group{}
	// m.capped, not m.sessions: a session is admitted before it is
	// registered, and thousands may be between the two at once.
	for s := range m.capped {
		g := groups[s.netKey]
		if g == nil {
			g = &group{}
			groups[s.netKey] = g
		}
		g.n++
		if s.Pending() > 0 || s.q.len() > 0 || s.closing.Load() {
			continue
		}
		if g.best == nil || s.lastRecv.Load() < g.best.lastRecv.Load() ||
			(s.lastRecv.Load() == g.best.lastRecv.Load() && s.id < g.best.id) {
			g.best = s
		}
	}
	var pick *group
	var pickKey string
	for k, g := range groups {
		if g.best == nil {
			continue
		}
		if pick == nil || g.n > pick.n || (g.n == pick.n && k < pickKey) {
			pick, pickKey = g, k
		}
	}
	if pick == nil {
		return nil
	}
	return pick.best
}

// unadmit gives back s's admission place (when its reader ends: the place
// is free at once, while its last replies are still written).
func (m *Manager) unadmit(s *Session) {
	m.mu.Lock()
	m.unadmitLocked(s)
	m.mu.Unlock()
}

func (m *Manager) unadmitLocked(s *Session) {
	if !s.admitted {
		return
	}
	s.admitted = false
	delete(m.capped, s)
	if m.byIP[s.ipKey]--; m.byIP[s.ipKey] <= 0 {
		delete(m.byIP, s.ipKey)
	}
	if m.byNet[s.netKey]--; m.byNet[s.netKey] <= 0 {
		delete(m.byNet, s.netKey)
	}
	m.admitted--
}

// AdmissionStats returns the admission counters.
func (m *Manager) AdmissionStats() AdmissionStats {
	return AdmissionStats{
		RefusedPerIP: m.admStats.refusedIP.Load(), RefusedPerSubnet: m.admStats.refusedNet.Load(),
		RefusedRate: m.admStats.refusedRate.Load(), RefusedSubnetRate: m.admStats.refusedNetRate.Load(),
		RefusedFull: m.admStats.refusedFull.Load(), Shed: m.admStats.shed.Load(),
		ShedOverBudget: m.budget.shed.Load(),
	}
}
