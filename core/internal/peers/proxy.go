package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/proxy"
)

const (
	proxyRetry     = 900 * time.Second
	blacklistEvery = 600 * time.Second
)

// dial opens a TCP connection to addr, through the SOCKS5 proxy when one
// is given.
func (m *Manager) dial(ctx context.Context, addr, proxyAddr string) (net.Conn, error) {
	if proxyAddr == "" {
		return m.direct.DialContext(ctx, "tcp", addr)
	}
	d, err := proxy.SOCKS5("tcp", proxyAddr, nil, forward{ctx, m.opts.Dialer})
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", proxyAddr, err)
	}
	return d.(proxy.ContextDialer).DialContext(ctx, "tcp", addr)
}

// forward adapts Dialer to proxy.Dialer.
type forward struct {
	ctx context.Context
	d   Dialer
}

func (f forward) Dial(network, addr string) (net.Conn, error) {
	return f.d.DialContext(f.ctx, network, addr)
}

func (f forward) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f.d.DialContext(ctx, network, addr)
}

// proxyCandidates expands TorProxy: "host:port" as is, a bare host with
// the usual Tor and SOCKS ports.
func proxyCandidates(s string) []string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return []string{s}
	}
	var out []string
	for _, p := range []int{9050, 9150, 1080} {
		out = append(out, net.JoinHostPort(s, strconv.Itoa(p)))
	}
	return out
}

// detectProxy looks for a SOCKS5 server at the candidates, retrying every
// 900 s until one answers.
func (m *Manager) detectProxy(ctx context.Context) {
	for {
		for _, addr := range proxyCandidates(m.opts.TorProxy) {
			if m.probeSOCKS(ctx, addr) {
				m.log.Info("detected proxy", "addr", addr)
				m.mu.Lock()
				m.proxy = addr
				m.mu.Unlock()
				return
			}
		}
		m.log.Info("no proxy detected, will try later", "proxy", m.opts.TorProxy)
		select {
		case <-ctx.Done():
			return
		case <-time.After(proxyRetry):
		}
	}
}

// probeSOCKS performs a SOCKS5 greeting (no authentication).
func (m *Manager) probeSOCKS(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := m.opts.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte{5, 1, 0}); err != nil {
		return false
	}
	var reply [2]byte
	_, err = io.ReadFull(c, reply[:])
	return err == nil && reply == [2]byte{5, 0}
}

// refreshBlacklist fetches BlacklistURL every 600 s.
func (m *Manager) refreshBlacklist(ctx context.Context) {
	for {
		list, err := m.fetchBlacklist(ctx)
		if err != nil {
			m.log.Error("could not retrieve blacklist", "url", m.opts.BlacklistURL, "err", err)
		} else {
			m.mu.Lock()
			m.blacklist = list
			for _, p := range m.peers {
				if m.blacklistedLocked(p) {
					pokePeer(p)
				}
			}
			m.mu.Unlock()
			m.log.Info("blacklist loaded", "url", m.opts.BlacklistURL, "entries", len(list))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(blacklistEvery):
		}
	}
}

func (m *Manager) fetchBlacklist(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.opts.BlacklistURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	return parseBlacklist(body)
}

// parseBlacklist parses a JSON array of strings, lower-cased.
func parseBlacklist(b []byte) (map[string]bool, error) {
	var entries []string
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("blacklist: %w", err)
	}
	out := make(map[string]bool, len(entries))
	for _, e := range entries {
		out[strings.ToLower(e)] = true
	}
	return out, nil
}

// blacklistedLocked matches the host, "*." + its last two labels, or the
// IP address.
func (m *Manager) blacklistedLocked(p *peer) bool {
	if len(m.blacklist) == 0 {
		return false
	}
	host := strings.ToLower(p.host)
	labels := strings.Split(host, ".")
	sld := "*." + strings.Join(labels[max(0, len(labels)-2):], ".")
	return m.blacklist[host] || m.blacklist[sld] || (p.ipAddr != "" && m.blacklist[p.ipAddr])
}

// ProxyAddress returns the detected SOCKS proxy's host:port, "" before one
// is detected or when peer discovery is not on (upstream proxy_address:
// ElectrumX detects its proxy only with PEER_DISCOVERY=on). The Electrum
// layer uses it to tell sessions that come through Tor.
func (m *Manager) ProxyAddress() string {
	if m.mode != modeOn {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proxy
}
