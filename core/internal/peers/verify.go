package peers

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

var sprintf = fmt.Sprintf

// session connects to p on one port and verifies it.
func (m *Manager) session(ctx context.Context, p *peer, t connTuple, proxy string) error {
	timeout := m.opts.RequestTimeout
	if proxy != "" {
		timeout = max(timeout, 120*time.Second)
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := m.dial(dctx, net.JoinHostPort(p.host, strconv.Itoa(t.port)), proxy)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if t.kind == "SSL" {
		cfg := &tls.Config{InsecureSkipVerify: true} // peers use self-signed certificates, as upstream accepts
		if net.ParseIP(p.host) == nil {
			cfg.ServerName = p.host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	c := newClient(conn, timeout)
	defer c.Close()
	vctx, vcancel := context.WithTimeout(ctx, 4*timeout)
	defer vcancel()
	remote := conn.RemoteAddr()
	if proxy != "" {
		// The socket's peer is the proxy; only an IP host tells us more.
		remote = nil
		if ip := p.hostIP(); ip != nil {
			remote = &net.TCPAddr{IP: ip, Port: t.port}
		}
	}
	return m.verify(vctx, c, p, remote)
}

// verify runs the checks of docs/protocol.md, Peer discovery, on an open session.
func (m *Manager) verify(ctx context.Context, c *client, p *peer, remote net.Addr) error {
	if !p.isTor() {
		if ip := addrIP(remote); ip != nil {
			m.mu.Lock()
			p.ipAddr = ip.String()
			m.mu.Unlock()
			if isPrivateIP(ip) && !m.opts.AllowPrivate {
				return bad("private address %s", ip)
			}
		}
	}
	if err := m.checkDiversity(p); err != nil {
		return err
	}

	ours := m.opts.OurFeatures()
	var ver []any
	args := []any{orDefault(ours["server_version"], "Amber"),
		[]any{orDefault(ours["protocol_min"], "1.4"), orDefault(ours["protocol_max"], "1.4.2")}}
	if err := c.call(ctx, "server.version", args, &ver); err != nil {
		return err
	}
	if len(ver) != 2 {
		return bad("bad server.version result: %v", ver)
	}
	sv, ok1 := ver[0].(string)
	_, ok2 := ver[1].(string)
	if !ok1 || !ok2 {
		return bad("bad server.version result: %v", ver)
	}
	m.mu.Lock()
	p.features["server_version"] = sv
	m.mu.Unlock()

	var (
		wg                      sync.WaitGroup
		errHdr, errFeat, errPrs error
		remotePeers             []*peer
	)
	wg.Add(3)
	go func() { defer wg.Done(); errHdr = m.checkHeaders(ctx, c) }()
	go func() { defer wg.Done(); errFeat = m.checkFeatures(ctx, c, p) }()
	go func() { defer wg.Done(); remotePeers, errPrs = m.fetchPeers(ctx, c, p) }()
	wg.Wait()
	if err := firstError(errFeat, errHdr, errPrs); err != nil {
		return err
	}

	if m.mode == modeOn {
		m.notePeers(remotePeers, 2, false, p.host)
		if f := m.featuresToRegister(p, remotePeers); f != nil {
			m.log.Info("registering ourselves", "peer", p.host)
			var accepted any
			if err := c.call(ctx, "server.add_peer", []any{f}, &accepted); err != nil {
				m.log.Info("server.add_peer failed", "peer", p.host, "err", err)
			}
		}
	}
	return nil
}

// firstError prefers a bad-peer verdict over other failures.
func firstError(errs ...error) error {
	for _, e := range errs {
		if _, ok := e.(*badPeerError); ok {
			return e
		}
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func addrIP(a net.Addr) net.IP {
	switch x := a.(type) {
	case *net.TCPAddr:
		return x.IP
	case nil:
		return nil
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	return net.ParseIP(host)
}

// checkDiversity rejects a clearnet peer sharing its internal bucket with
// another recently good peer, and onion peers beyond half of all (when
// that half is at least 100). Private peers admitted by AllowPrivate skip
// the bucket check: a private network has few addresses.
func (m *Manager) checkDiversity(p *peer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var recent, onion []*peer
	buckets := map[string]int{}
	for _, q := range m.recentGoodLocked() {
		if q == p {
			continue
		}
		recent = append(recent, q)
		if q.isTor() {
			onion = append(onion, q)
		} else {
			buckets[q.internalBucket()]++
		}
	}
	if p.isTor() {
		if half := len(recent) / 2; len(onion) > half && half >= 100 {
			return bad("too many onion peers already")
		}
		return nil
	}
	if m.opts.AllowPrivate && m.privateIP(p.ipAddr) {
		return nil
	}
	if b := p.internalBucket(); buckets[b] > 0 {
		return bad("too many peers already in bucket %s", b)
	}
	return nil
}

func (m *Manager) checkHeaders(ctx context.Context, c *client) error {
	var res any
	if err := c.call(ctx, "blockchain.headers.subscribe", nil, &res); err != nil {
		return err
	}
	obj, ok := res.(map[string]any)
	if !ok {
		return bad("blockchain.headers.subscribe returned bad result type %T", res)
	}
	num, isNum := obj["height"].(json.Number)
	theirHeight, err := num.Int64()
	if !isNum || err != nil {
		return bad("invalid height %v", obj["height"])
	}
	ourHeight, _, _ := m.opts.Index.Tip()
	if d := ourHeight - theirHeight; d > 5 || d < -5 {
		return bad("bad height %d (ours: %d)", theirHeight, ourHeight)
	}
	check := min(ourHeight, theirHeight)
	raw, err := m.opts.Index.Headers(ctx, check, 1)
	if err != nil {
		return fmt.Errorf("our header at %d: %w", check, err)
	}
	ours := hex.EncodeToString(raw)
	var theirs any
	if err := c.call(ctx, "blockchain.block.header", []any{check}, &theirs); err != nil {
		return err
	}
	s, ok := theirs.(string)
	if !ok {
		return bad("blockchain.block.header returned bad result type %T", theirs)
	}
	if s != ours {
		return bad("our header %s and theirs %s differ", ours, s)
	}
	return nil
}

func (m *Manager) checkFeatures(ctx context.Context, c *client, p *peer) error {
	var res any
	if err := c.call(ctx, "server.features", nil, &res); err != nil {
		return err
	}
	f, ok := res.(map[string]any)
	if !ok {
		return bad("server.features returned bad result type %T", res)
	}
	if g, _ := f["genesis_hash"].(string); g != m.opts.Genesis.String() {
		return bad("incorrect genesis hash %q", g)
	}
	hosts, _ := f["hosts"].(map[string]any)
	var names []string
	for h := range hosts {
		names = append(names, strings.ToLower(h))
	}
	lower := strings.ToLower(p.host)
	found := false
	for _, h := range names {
		found = found || h == lower
	}
	if !found {
		return bad("not listed in own hosts list %v", names)
	}
	if _, exact := hosts[p.host]; exact {
		m.mu.Lock()
		p.features = canonicalize(p.host, f)
		m.mu.Unlock()
	}
	return nil
}

func (m *Manager) fetchPeers(ctx context.Context, c *client, p *peer) ([]*peer, error) {
	var res any
	if err := c.call(ctx, "server.peers.subscribe", nil, &res); err != nil {
		return nil, err
	}
	list, ok := res.([]any)
	if !ok {
		return nil, bad("server.peers.subscribe returned bad result type %T", res)
	}
	out := make([]*peer, 0, len(list))
	for _, item := range list {
		q, err := m.peerFromTuple(item, p.host)
		if err != nil {
			return nil, bad("bad server.peers.subscribe response")
		}
		out = append(out, q)
	}
	return out, nil
}

// peerFromTuple parses one [ip, host, [features...]] entry.
func (m *Manager) peerFromTuple(item any, source string) (*peer, error) {
	t, ok := item.([]any)
	if !ok || len(t) < 3 {
		return nil, errRealName
	}
	host, ok := t[1].(string)
	details, ok2 := t[2].([]any)
	if !ok || !ok2 {
		return nil, errRealName
	}
	parts := []string{host}
	for _, d := range details {
		s, ok := d.(string)
		if !ok {
			return nil, errRealName
		}
		parts = append(parts, s)
	}
	return parseRealName(strings.Join(parts, " "), source, m.opts.DefaultPorts)
}

// featuresToRegister returns our features when we should announce
// ourselves to p, which reported remote: announcing is on, p is not one of
// us, we have an admissible clearnet identity, and remote lacks it with
// the same ports.
func (m *Manager) featuresToRegister(p *peer, remote []*peer) map[string]any {
	if !m.opts.Announce || p.self {
		return nil
	}
	var my *peer
	m.mu.Lock()
	selves := m.selves
	m.mu.Unlock()
	for _, s := range selves {
		if !s.isTor() {
			my = s
			break
		}
	}
	if my == nil || !m.admissible(my) {
		return nil
	}
	for _, r := range remote {
		if strings.EqualFold(r.host, my.host) && r.tcpPort() == my.tcpPort() && r.sslPort() == my.sslPort() {
			return nil
		}
	}
	return m.opts.OurFeatures()
}

// orDefault returns v if it is a non-empty string, else def.
func orDefault(v any, def string) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return def
}
