package peers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"time"
)

// PeerInfo is one row of the admin peers view (docs/protocol.md, Peer discovery).
// Its JSON form is the admin peers object plus "reason".
type PeerInfo struct {
	Host     string         `json:"host"`
	Features map[string]any `json:"features"`
	Source   string         `json:"source"`
	IPAddr   string         `json:"ip_addr"`   // "" until connected (upstream: null)
	LastGood int64          `json:"last_good"` // Unix seconds, 0 = never
	LastTry  int64          `json:"last_try"`
	TryCount int            `json:"try_count"`
	Status   string         `json:"status"` // good, stale, never or bad
	Reason   string         `json:"reason"` // why it is bad, or the last failure
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// statusLocked classifies p (docs/protocol.md, Peer discovery).
func (m *Manager) statusLocked(p *peer, now time.Time) string {
	switch {
	case p.bad:
		return "bad"
	case !p.lastGood.IsZero() && now.Sub(p.lastGood) < staleAfter:
		return "good"
	case !p.lastGood.IsZero():
		return "stale"
	}
	return "never"
}

// Peers returns the admin view: non-bad peers first, then most recently
// good first.
func (m *Manager) Peers() []PeerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	ps := slices.Clone(m.peers)
	slices.SortStableFunc(ps, func(a, b *peer) int {
		if a.bad != b.bad {
			if a.bad {
				return 1
			}
			return -1
		}
		return b.lastGood.Compare(a.lastGood)
	})
	out := make([]PeerInfo, 0, len(ps))
	for _, p := range ps {
		f := make(map[string]any, len(p.features))
		for k, v := range p.features {
			f[k] = v
		}
		out = append(out, PeerInfo{Host: p.host, Features: f, Source: p.source, IPAddr: p.ipAddr,
			LastGood: unix(p.lastGood), LastTry: unix(p.lastTry), TryCount: p.tryCount,
			Status: m.statusLocked(p, now), Reason: p.reason})
	}
	return out
}

// Counts returns the getinfo "peers" object: bad, good, never, stale and
// total.
func (m *Manager) Counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	c := map[string]int{"bad": 0, "good": 0, "never": 0, "stale": 0, "total": len(m.peers)}
	for _, p := range m.peers {
		c[m.statusLocked(p, now)]++
	}
	return c
}

// recentGoodLocked are the peers verified within the stale period, not
// bad, admissible and not blacklisted.
func (m *Manager) recentGoodLocked() []*peer {
	now := time.Now()
	var out []*peer
	for _, p := range m.peers {
		if !p.lastGood.IsZero() && now.Sub(p.lastGood) < staleAfter && !p.bad &&
			m.admissible(p) && !m.blacklistedLocked(p) {
			out = append(out, p)
		}
	}
	return out
}

// PeersSubscribe is the server.peers.subscribe result for a clearnet
// client.
func (m *Manager) PeersSubscribe() [][]any { return m.PeersSubscribeFor(false) }

// PeersSubscribeFor is the server.peers.subscribe result (docs/protocol.md,
// Peer discovery); viaTor is whether the client came through our Tor proxy
// (up to 50 onion peers).
func (m *Manager) PeersSubscribeFor(viaTor bool) [][]any {
	out := [][]any{}
	if m.mode == modeOff {
		return out
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var chosen []*peer
	// Ourselves, if verified recently (even when not public).
	for _, s := range m.selves {
		if !s.lastGood.IsZero() && now.Sub(s.lastGood) < staleAfter && slices.Contains(m.peers, s) {
			chosen = append(chosen, s)
		}
	}
	var onion []*peer
	buckets := map[string][]*peer{}
	var order []string
	for _, p := range m.recentGoodLocked() {
		if p.self {
			continue
		}
		if p.isTor() {
			onion = append(onion, p)
			continue
		}
		b := p.externalBucket()
		if _, ok := buckets[b]; !ok {
			order = append(order, b)
		}
		buckets[b] = append(buckets[b], p)
	}
	for _, b := range order {
		ps := buckets[b]
		rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		chosen = append(chosen, ps[:min(2, len(ps))]...)
	}
	maxOnion := max(10, len(chosen)/4)
	if viaTor {
		maxOnion = 50
	}
	rand.Shuffle(len(onion), func(i, j int) { onion[i], onion[j] = onion[j], onion[i] })
	chosen = append(chosen, onion[:min(maxOnion, len(onion))]...)
	for _, p := range chosen {
		out = append(out, p.tuple())
	}
	return out
}

// AddAdminPeer is the admin add_peer command: the real name is noted with
// source "RPC" (ignored if not admissible, or unless mode is on) and
// verified asynchronously.
func (m *Manager) AddAdminPeer(realName string) string {
	if m.mode == modeOn {
		if p, err := parseRealName(realName, "RPC", m.opts.DefaultPorts); err == nil {
			m.notePeers([]*peer{p}, 2, true, "")
		} else {
			m.log.Warn("admin add_peer", "real_name", realName, "err", err)
		}
	}
	return fmt.Sprintf("peer '%s' added", realName)
}

// AddPeer handles an incoming server.add_peer(features) from remote
// (docs/protocol.md, Peer discovery). It returns whether the peer was tentatively accepted;
// verification continues asynchronously.
func (m *Manager) AddPeer(ctx context.Context, features map[string]any, remote net.Addr) bool {
	if m.mode != modeOn || remote == nil {
		return false
	}
	srcIP := addrIP(remote)
	if srcIP == nil {
		m.log.Info("ignored add_peer request: no source address")
		return false
	}
	source := srcIP.String()
	p, ok := peerFromFeatures(features, source)
	if !ok {
		m.log.Info("ignored add_peer request: no peers given", "source", source)
		return false
	}
	now := time.Now()
	bucket := "ip_addr"
	if p.hostIP() == nil {
		labels := strings.Split(strings.ToLower(p.host), ".")
		bucket = strings.Join(labels[max(0, len(labels)-2):], ".")
	}
	m.mu.Lock()
	last, seen := m.recentAdds[bucket]
	m.recentAdds[bucket] = now // updated even when rejected
	limited := seen && now.Sub(last) <= addPeerPause
	var permit bool
	reason := "rate limiting"
	if !limited && p.isTor() {
		permit = !now.Before(m.permitOnion)
		if permit {
			m.permitOnion = now.Add(time.Duration(rand.Int64N(int64(1200 * time.Second))))
		}
	}
	m.mu.Unlock()
	if limited {
		return false
	}
	if !p.isTor() {
		permit, reason = m.resolvesTo(ctx, p.host, srcIP)
	}
	if !permit {
		m.log.Warn("rejected add_peer request", "source", source, "host", p.host, "reason", reason)
		return false
	}
	m.log.Info("accepted add_peer request", "source", source, "host", p.host)
	m.notePeers([]*peer{p}, 2, true, "")
	return true
}

// resolvesTo reports whether host is, or resolves to, ip.
func (m *Manager) resolvesTo(ctx context.Context, host string, ip net.IP) (bool, string) {
	if hip := net.ParseIP(host); hip != nil {
		return hip.Equal(ip), "source-destination mismatch"
	}
	addrs, err := m.opts.Resolver.LookupHost(ctx, host)
	if err != nil {
		return false, "address resolution failure"
	}
	for _, a := range addrs {
		if aip := net.ParseIP(a); aip != nil && aip.Equal(ip) {
			return true, ""
		}
	}
	return false, "source-destination mismatch"
}
