package peers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// featureKeys are the features every peer entry carries in canonical form
// (upstream Peer.FEATURES).
var featureKeys = []string{"pruning", "server_version", "protocol_min", "protocol_max",
	"ssl_port", "tcp_port", "cert_md5", "cert_sha1", "cert_sha256", "cert_blake2b"}

// DefaultPorts are the ports a bare "s" or "t" in a real name stands for.
type DefaultPorts struct{ TCP, SSL int }

// peer is one entry of the table. Guarded by Manager.mu once in the table.
type peer struct {
	host     string
	features map[string]any // canonical: see canonicalize
	source   string
	ipAddr   string
	lastGood time.Time
	lastTry  time.Time
	tryCount int
	bad      bool
	reason   string
	self     bool
	// otherPorts are (kind, port) pairs announced after the peer was
	// known; tried once after the registered ports.
	otherPorts []connTuple
	poke       chan struct{} // wakes the monitor early
}

// connTuple is one connection attempt: kind "SSL" or "TCP" and a port.
type connTuple struct {
	kind string
	port int
}

// newPeer builds a peer for host from features, which must list host in
// its hosts object.
func newPeer(host string, features map[string]any, source string) (*peer, error) {
	hosts, _ := features["hosts"].(map[string]any)
	if _, ok := hosts[host]; !ok {
		return nil, fmt.Errorf("host %q not in features hosts", host)
	}
	p := &peer{host: host, source: source, poke: make(chan struct{}, 1)}
	p.features = canonicalize(host, features)
	return p, nil
}

// canonicalize copies features and sets every featureKeys entry to its
// cleaned value (nil when absent or malformed), as upstream's Peer does.
func canonicalize(host string, f map[string]any) map[string]any {
	out := make(map[string]any, len(f)+len(featureKeys))
	for k, v := range f {
		out[k] = v
	}
	var hostPorts map[string]any
	if hosts, ok := f["hosts"].(map[string]any); ok {
		hostPorts, _ = hosts[host].(map[string]any)
	}
	port := func(key string) any {
		if n, ok := toInt(hostPorts[key]); ok && n > 0 && n < 65536 {
			return n
		}
		return nil
	}
	str := func(key string) any {
		if s, ok := f[key].(string); ok {
			return s
		}
		return nil
	}
	out["ssl_port"] = port("ssl_port")
	out["tcp_port"] = port("tcp_port")
	out["pruning"] = nil
	if n, ok := toInt(f["pruning"]); ok && n > 0 {
		out["pruning"] = n
	}
	for _, k := range []string{"server_version", "cert_md5", "cert_sha1", "cert_sha256", "cert_blake2b"} {
		out[k] = str(k)
	}
	out["protocol_min"] = versionString(f["protocol_min"])
	out["protocol_max"] = versionString(f["protocol_max"])
	return out
}

// toInt accepts the integer forms JSON decoding and real names produce.
func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case json.Number:
		n, err := strconv.Atoi(string(x))
		return n, err == nil
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

// versionString normalises a protocol version the way upstream's
// protocol_tuple/version_string pair does: dotted integers, at least two
// parts; anything else is "0.0".
func versionString(v any) string {
	s, _ := v.(string)
	parts := strings.Split(s, ".")
	nums := make([]string, 0, max(len(parts), 2))
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return "0.0"
		}
		nums = append(nums, strconv.Itoa(n))
	}
	if len(nums) == 1 {
		nums = append(nums, "0")
	}
	return strings.Join(nums, ".")
}

func (p *peer) port(key string) int {
	n, _ := p.features[key].(int)
	return n
}

func (p *peer) sslPort() int { return p.port("ssl_port") }
func (p *peer) tcpPort() int { return p.port("tcp_port") }

// isTor reports whether the peer is an onion service.
func (p *peer) isTor() bool { return strings.HasSuffix(strings.ToLower(p.host), ".onion") }

// hostIP is the host as an IP address, or nil for a host name.
func (p *peer) hostIP() net.IP { return net.ParseIP(p.host) }

// connTuples lists the ports to try: SSL first, then TCP, then ports that
// were announced since (consumed).
func (p *peer) connTuples() []connTuple {
	var out []connTuple
	for _, t := range append([]connTuple{{"SSL", p.sslPort()}, {"TCP", p.tcpPort()}}, p.otherPorts...) {
		if t.port != 0 {
			out = append(out, t)
		}
	}
	p.otherPorts = nil
	return out
}

// checkPorts remembers the ports of other that differ from ours and
// reports whether there are any.
func (p *peer) checkPorts(other *peer) bool {
	if s := other.sslPort(); s != p.sslPort() {
		p.otherPorts = append(p.otherPorts, connTuple{"SSL", s})
	}
	if t := other.tcpPort(); t != p.tcpPort() {
		p.otherPorts = append(p.otherPorts, connTuple{"TCP", t})
	}
	return len(p.otherPorts) > 0
}

// tuple is the server.peers.subscribe entry: [ip or host, host, details]
// with explicit ports (docs/protocol.md, Upstream quirks 2).
func (p *peer) tuple() []any {
	details := []any{"v" + fmt.Sprint(p.features["protocol_max"])}
	if n, ok := p.features["pruning"].(int); ok && n > 0 {
		details = append(details, "p"+strconv.Itoa(n))
	}
	if s := p.sslPort(); s != 0 {
		details = append(details, "s"+strconv.Itoa(s))
	}
	if t := p.tcpPort(); t != 0 {
		details = append(details, "t"+strconv.Itoa(t))
	}
	first := p.ipAddr
	if first == "" {
		first = p.host
	}
	return []any{first, p.host, details}
}

// realName is the IRC-style name, e.g. "host v1.4.2 s50002 t50001".
func (p *peer) realName() string {
	d := p.tuple()[2].([]any)
	parts := []string{p.host}
	for _, x := range d {
		parts = append(parts, x.(string))
	}
	return strings.Join(parts, " ")
}

// errRealName is returned for a real name without a host.
var errRealName = errors.New("empty real name")

// parseRealName parses "<host> [v<ver>] [p<prune>] [s[<port>]] [t[<port>]]
// [x<alg>=<digest>]" (amberctl add_peer; docs/protocol.md, Peer discovery).
// Unknown parts are ignored; a bare s/t stands for the default port.
func parseRealName(realName, source string, def DefaultPorts) (*peer, error) {
	fields := strings.Fields(realName)
	if len(fields) == 0 {
		return nil, errRealName
	}
	host := fields[0]
	features := map[string]any{}
	ports := map[string]any{}
	for _, part := range fields[1:] {
		switch part[0] {
		case 's', 't':
			key, port := "ssl_port", def.SSL
			if part[0] == 't' {
				key, port = "tcp_port", def.TCP
			}
			ports[key] = port
			if len(part) > 1 {
				ports[key] = part[1:] // a malformed port is dropped by canonicalize, as upstream
			}
		case 'v':
			features["protocol_max"], features["protocol_min"] = part[1:], part[1:]
		case 'p':
			features["pruning"] = part[1:]
		case 'x':
			if alg, digest, ok := strings.Cut(part[1:], "="); ok {
				features["cert_"+alg] = digest
			}
		}
	}
	for k, v := range ports {
		features[k] = v
	}
	features["hosts"] = map[string]any{host: ports}
	return newPeer(host, features, source)
}

// peersFromFeatures builds the candidate of an incoming server.add_peer:
// the first (smallest, as Go maps are unordered) host of features.hosts.
func peerFromFeatures(features map[string]any, source string) (*peer, bool) {
	hosts, ok := features["hosts"].(map[string]any)
	if !ok || len(hosts) == 0 {
		return nil, false
	}
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	p, err := newPeer(names[0], features, source)
	return p, err == nil
}

var hostLabel = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

// validHostname follows aiorpcx's is_valid_hostname: dot-separated labels
// of letters, digits, '-' and '_', at most 255 characters, a trailing dot
// allowed, and a top-level label that is not all digits.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 255 {
		return false
	}
	labels := strings.Split(h, ".")
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return false
	}
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// isPrivateIP reports addresses that are not globally routable.
func isPrivateIP(ip net.IP) bool {
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast()
}

// internalBucket groups peers for the diversity check of a new
// verification: onion, the IPv4 address, or the IPv6 /64.
func (p *peer) internalBucket() string { return p.bucket(32, 64) }

// externalBucket groups peers for server.peers.subscribe: onion, the IPv4
// /16 or the IPv6 /56.
func (p *peer) externalBucket() string { return p.bucket(16, 56) }

func (p *peer) bucket(v4bits, v6bits int) string {
	if p.isTor() {
		return "onion"
	}
	ip := net.ParseIP(p.ipAddr)
	if ip == nil {
		return ""
	}
	if ip4 := ip.To4(); ip4 != nil {
		n := net.IPNet{IP: ip4.Mask(net.CIDRMask(v4bits, 32)), Mask: net.CIDRMask(v4bits, 32)}
		return n.String()
	}
	n := net.IPNet{IP: ip.Mask(net.CIDRMask(v6bits, 128)), Mask: net.CIDRMask(v6bits, 128)}
	return n.String()
}
