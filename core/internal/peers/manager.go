package peers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// Schedule and limits (docs/protocol.md, Peer discovery).
const (
	staleAfter   = 3 * time.Hour     // STALE_SECS
	wakeup       = 300 * time.Second // WAKEUP_SECS
	addPeerPause = 600 * time.Second // PEER_ADD_PAUSE
	// retryGood is the pause after a success: re-verify just before the
	// peer turns stale.
	retryGood = staleAfter - 2*wakeup
)

// badPeerError is a verification failure that marks the peer bad.
type badPeerError struct{ reason string }

func (e *badPeerError) Error() string { return e.reason }

func bad(format string, args ...any) error {
	return &badPeerError{reason: sprintf(format, args...)}
}

// Manager is the peer table and its monitors. Create it with New and start
// it with Run; the query methods are safe for concurrent use.
type Manager struct {
	opts Options
	mode int
	log  *slog.Logger
	// direct dials clearnet peers without the proxy.
	direct Dialer

	mu          sync.Mutex
	peers       []*peer
	selves      []*peer
	recentAdds  map[string]time.Time // add_peer rate limit by bucket
	permitOnion time.Time
	blacklist   map[string]bool
	proxy       string // detected SOCKS5 proxy address, "" if none
	ctx         context.Context
	queued      []*peer // noted before Run
	wg          sync.WaitGroup
}

// New returns a Manager; nothing happens until Run.
func New(opts Options) *Manager {
	direct := opts.Dialer
	if opts.Dialer == nil {
		opts.Dialer = &net.Dialer{}
		direct = opts.Dialer
		if opts.LocalIP != nil {
			direct = &net.Dialer{LocalAddr: &net.TCPAddr{IP: opts.LocalIP}}
		}
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.DefaultPorts == (DefaultPorts{}) {
		opts.DefaultPorts = DefaultPorts{TCP: 50001, SSL: 50002}
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.OurFeatures == nil {
		opts.OurFeatures = func() map[string]any { return map[string]any{"hosts": map[string]any{}} }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Manager{opts: opts, mode: parseMode(opts.Mode), log: log.With("component", "peers"),
		direct: direct, recentAdds: map[string]time.Time{}}
	return m
}

// buildSelves makes one peer per identity from our features.
func (m *Manager) buildSelves() []*peer {
	f := m.opts.OurFeatures()
	ids := m.opts.Self
	if len(ids) == 0 {
		hosts, _ := f["hosts"].(map[string]any)
		for h := range hosts {
			ids = append(ids, Identity{Host: h})
		}
		slices.SortFunc(ids, func(a, b Identity) int { return strings.Compare(a.Host, b.Host) })
	}
	var out []*peer
	for _, id := range ids {
		p, err := newPeer(id.Host, f, "env")
		if err != nil {
			m.log.Warn("identity not in our features' hosts", "host", id.Host)
			continue
		}
		p.self = true
		out = append(out, p)
	}
	return out
}

// Run performs discovery until ctx ends: it notes our identities (and in
// mode on the seeds), monitors every peer, detects the Tor proxy and
// refreshes the blacklist. It returns at once when discovery is off. Call
// it once our own services accept connections, so that self-verification
// succeeds on the first attempt.
func (m *Manager) Run(ctx context.Context) error {
	if m.mode == modeOff {
		m.log.Info("peer discovery is disabled")
		return nil
	}
	m.log.Info("peer discovery", "mode", m.opts.Mode, "announce", m.opts.Announce,
		"force_proxy", m.opts.ForceProxy, "allow_private", m.opts.AllowPrivate)
	selves := m.buildSelves() // at Run, so OurFeatures may depend on objects built after New
	m.mu.Lock()
	m.selves = selves
	m.ctx = ctx
	queued := m.queued
	m.queued = nil
	m.mu.Unlock()
	for _, p := range queued {
		m.spawn(p)
	}
	if m.opts.TorProxy != "" {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.detectProxy(ctx) }()
	}
	if m.opts.BlacklistURL != "" && m.mode == modeOn {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); m.refreshBlacklist(ctx) }()
	}
	imported := slices.Clone(selves)
	if m.mode == modeOn {
		for _, s := range m.opts.Seeds {
			p, err := parseRealName(s, "env", m.opts.DefaultPorts)
			if err != nil {
				m.log.Warn("bad peer seed", "seed", s, "err", err)
				continue
			}
			imported = append(imported, p)
		}
	}
	m.notePeers(imported, 0, false, "")
	<-ctx.Done()
	m.wg.Wait()
	return nil
}

// admissible is upstream's is_public (plus the Tor proxy rule): a valid
// public host, or a private one when AllowPrivate is set.
func (m *Manager) admissible(p *peer) bool {
	if ip := p.hostIP(); ip != nil {
		if ip.IsMulticast() || ip.IsUnspecified() {
			return false
		}
		return m.opts.AllowPrivate || !isPrivateIP(ip)
	}
	if !validHostname(p.host) {
		return false
	}
	if strings.EqualFold(p.host, "localhost") {
		return m.opts.AllowPrivate
	}
	return true
}

// privateIP reports whether s is a private address admitted only under
// AllowPrivate.
func (m *Manager) privateIP(s string) bool {
	ip := net.ParseIP(s)
	return ip != nil && isPrivateIP(ip)
}

// same reports whether a and b are one server: same host name or IP
// (upstream Peer.matches). With AllowPrivate, servers sharing a private IP
// are told apart by their ports.
func (m *Manager) same(a, b *peer) bool {
	var ip string
	switch {
	case strings.EqualFold(a.host, b.host):
		ip = a.host
	case a.ipAddr != "" && b.host == a.ipAddr:
		ip = a.ipAddr
	case b.ipAddr != "" && a.host == b.ipAddr:
		ip = a.host
	default:
		return false
	}
	if m.opts.AllowPrivate && m.privateIP(ip) {
		return samePort(a.tcpPort(), b.tcpPort()) || samePort(a.sslPort(), b.sslPort())
	}
	return true
}

func samePort(a, b int) bool { return a != 0 && a == b }

func (m *Manager) matchesLocked(p *peer, set []*peer) []*peer {
	var out []*peer
	for _, q := range set {
		if m.same(p, q) {
			out = append(out, q)
		}
	}
	return out
}

// notePeers adds up to limit (0: all) of the given peers that are
// admissible and not yet known, and starts monitoring them. With
// checkPorts a known peer whose ports differ is re-checked early.
func (m *Manager) notePeers(cands []*peer, limit int, checkPorts bool, source string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var fresh []*peer
	known := slices.Clone(m.peers)
	for _, p := range cands {
		if !m.admissible(p) || (p.isTor() && m.proxy == "") {
			m.log.Debug("ignoring peer", "peer", p.host)
			continue
		}
		if matches := m.matchesLocked(p, known); len(matches) > 0 {
			if checkPorts {
				for _, q := range matches {
					if q.checkPorts(p) {
						m.log.Info("ports changed", "peer", p.host)
						pokePeer(q)
					}
				}
			}
			continue
		}
		known = append(known, p)
		fresh = append(fresh, p)
	}
	if len(fresh) == 0 {
		return
	}
	if source == "" {
		source = fresh[0].source
	}
	if limit > 0 && len(fresh) > limit {
		rand.Shuffle(len(fresh), func(i, j int) { fresh[i], fresh[j] = fresh[j], fresh[i] })
		fresh = fresh[:limit]
	}
	for _, p := range fresh {
		m.log.Info("accepted new peer", "peer", p.realName(), "source", source)
		m.peers = append(m.peers, p)
		if m.ctx == nil {
			m.queued = append(m.queued, p)
			continue
		}
		m.spawnLocked(p)
	}
}

func pokePeer(p *peer) {
	select {
	case p.poke <- struct{}{}:
	default:
	}
}

func (m *Manager) spawn(p *peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spawnLocked(p)
}

func (m *Manager) spawnLocked(p *peer) {
	ctx := m.ctx
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.monitor(ctx, p)
	}()
}

func (m *Manager) present(p *peer) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.peers, p)
}

func (m *Manager) remove(p *peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.peers = slices.DeleteFunc(m.peers, func(q *peer) bool { return q == p })
}

// monitor verifies p, then sleeps (until just before it turns stale after
// a success, 300 s × 2^tries after failures) or until poked, until p is
// dropped or ctx ends.
func (m *Manager) monitor(ctx context.Context, p *peer) {
	for ctx.Err() == nil && m.present(p) {
		if m.attempt(ctx, p) {
			m.remove(p)
			return
		}
		m.mu.Lock()
		pause := retryGood
		if p.tryCount > 0 {
			pause = wakeup << min(p.tryCount, 20)
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		case <-p.poke:
		}
	}
}

// attempt makes one verification attempt over each port in turn and
// reports whether the peer should be forgotten.
func (m *Manager) attempt(ctx context.Context, p *peer) (drop bool) {
	m.mu.Lock()
	p.tryCount++
	tuples := p.connTuples()
	wasBad := p.bad
	m.mu.Unlock()

	good := false
	if !wasBad {
	ports:
		for _, t := range tuples {
			m.mu.Lock()
			p.lastTry = time.Now()
			proxy := m.proxy
			m.mu.Unlock()
			if (m.opts.ForceProxy || p.isTor()) && proxy == "" {
				return false // no proxy yet: not a failure of the peer
			}
			err := m.session(ctx, p, t, proxy)
			var be *badPeerError
			switch {
			case err == nil:
				good = true
				break ports
			case errors.As(err, &be):
				m.log.Warn("marking peer bad", "peer", p.host, "port", t.port, "kind", t.kind, "reason", be.reason)
				m.mu.Lock()
				p.bad, p.reason = true, be.reason
				m.mu.Unlock()
				break ports
			default:
				m.log.Info("peer attempt failed", "peer", p.host, "port", t.port, "kind", t.kind, "err", err)
				m.mu.Lock()
				p.reason = err.Error()
				m.mu.Unlock()
			}
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if good {
		m.log.Info("peer verified", "peer", p.realName())
		p.tryCount, p.lastGood, p.source, p.reason = 0, now, "peer", ""
		m.collapseLocked(p)
		// Prune rate-limit entries that are OLD (older than the pause);
		// upstream's condition is inverted and drops the recent ones,
		// which disables the limit (docs/protocol.md, Upstream quirks 3).
		for k, t := range m.recentAdds {
			if now.Sub(t) > addPeerPause {
				delete(m.recentAdds, k)
			}
		}
		return false
	}
	limit := 3
	if !p.lastGood.IsZero() && !p.bad {
		limit = 10
	}
	if p.tryCount >= limit {
		m.log.Info("forgetting peer", "peer", p.host, "bad", p.bad, "tries", p.tryCount)
		return true
	}
	return false
}

// collapseLocked merges duplicates of a freshly verified peer: entries
// whose host is an IP drop out when several entries match, and
// host-name entries listed in p's hosts adopt p's features.
func (m *Manager) collapseLocked(p *peer) {
	matches := m.matchesLocked(p, m.peers)
	for _, q := range matches {
		if q.hostIP() != nil {
			if len(matches) > 1 && q != p {
				m.peers = slices.DeleteFunc(m.peers, func(x *peer) bool { return x == q })
				pokePeer(q)
			}
		} else if hosts, ok := q.features["hosts"].(map[string]any); ok && q != p {
			if _, listed := hosts[p.host]; listed {
				q.features = canonicalize(q.host, p.features)
			}
		}
	}
}
