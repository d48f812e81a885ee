package cost

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// UnknownAddrGroup is the group of sessions without an IP address.
const UnknownAddrGroup = "unknown_addr"

// Config configures a Model.
type Config struct {
	// IPv4Prefix and IPv6Prefix are the subnet sizes of address groups
	// (0 puts every address of that family in one group).
	IPv4Prefix, IPv6Prefix int
	// HardLimit is the client sessions' hard limit; every Period each
	// group's retained cost drops by Period(s) × HardLimit / 5000. With
	// HardLimit ≤ 0 (throttling off) retained cost is dropped whole.
	HardLimit float64
	// GroupPrivate gives loopback and private addresses subnet groups
	// too (session_limits_private). By default they have none: Tor
	// arrives on loopback, and all of its users would share one account.
	GroupPrivate bool
}

// DefaultConfig is /24 and /48 subnets, hard limit 10000.
func DefaultConfig() Config { return Config{IPv4Prefix: 24, IPv6Prefix: 48, HardLimit: 10000} }

// Model holds the live accounts and the groups. Create it with NewModel.
type Model struct {
	cfg   Config
	start time.Time // server start: origin of the time slices

	mu       sync.Mutex
	groups   map[string]*group
	accounts map[*Account]struct{}
}

// NewModel returns an empty model; its time slices count from now.
func NewModel(cfg Config) *Model {
	return &Model{
		cfg: cfg, start: time.Now(),
		groups: make(map[string]*group), accounts: make(map[*Account]struct{}),
	}
}

type group struct {
	name     string
	weight   float64
	slice    bool // a time-slice group: shares capped by own cost
	members  map[*Account]struct{}
	retained float64
}

func (g *group) costLocked() float64 {
	c := g.retained
	for a := range g.members {
		c += a.shareLocked()
	}
	return c
}

// groupsFor returns (creating them) the groups of a session from addr
// opened at now: its subnet group unless the address is private (and
// GroupPrivate is not set), and its time slice.
func (m *Model) groupsFor(addr net.Addr, now time.Time) []*group {
	var out []*group
	if name, ok := subnetGroup(addr, m.cfg.IPv4Prefix, m.cfg.IPv6Prefix, m.cfg.GroupPrivate); ok {
		out = append(out, m.groupLocked(name, SubnetWeight))
	}
	g := m.groupLocked(SliceGroup(now.Sub(m.start)), SliceWeight)
	g.slice = true
	return append(out, g)
}

func (m *Model) groupLocked(name string, weight float64) *group {
	g := m.groups[name]
	if g == nil {
		g = &group{name: name, weight: weight, members: make(map[*Account]struct{})}
		m.groups[name] = g
	}
	return g
}

// SliceGroup names the time slice of a session started age after the
// server: t<k> with k = floor(age / 300 s).
func SliceGroup(age time.Duration) string {
	if age < 0 {
		age = 0
	}
	return fmt.Sprintf("t%d", int64(age/SliceLength))
}

// SubnetGroup names the subnet group of addr: the masked network in CIDR
// form ("203.0.113.0/24", "2001:db8:1234::/48"); ok is false for private
// addresses, which get no subnet group; UnknownAddrGroup when addr has no
// IP.
func SubnetGroup(addr net.Addr, prefix4, prefix6 int) (name string, ok bool) {
	return subnetGroup(addr, prefix4, prefix6, false)
}

// subnetGroup is SubnetGroup, with private addresses grouped like public
// ones when private is set (Config.GroupPrivate).
func subnetGroup(addr net.Addr, prefix4, prefix6 int, private bool) (name string, ok bool) {
	ip, has := addrIP(addr)
	if !has {
		return UnknownAddrGroup, true
	}
	if !private && IsPrivate(ip) {
		return "", false
	}
	bits := prefix6
	if ip.Is4() {
		bits = prefix4
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return UnknownAddrGroup, true
	}
	return p.String(), true
}

func addrIP(addr net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	case *net.IPAddr:
		ip = a.IP
	case nil:
		return netip.Addr{}, false
	default:
		ap, err := netip.ParseAddrPort(addr.String())
		if err != nil {
			return netip.Addr{}, false
		}
		return ap.Addr().Unmap().WithZone(""), true
	}
	na, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, false
	}
	return na.Unmap().WithZone(""), true
}

// privateNets are Python's ipaddress is_private networks (3.11).
var privateNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/29", "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"255.255.255.255/32",
		"::1/128", "::/128", "::ffff:0:0/96", "100::/64", "2001::/23", "2001:2::/48",
		"2001:db8::/32", "2001:10::/28", "fc00::/7", "fe80::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// IsPrivate mirrors Python's ipaddress is_private (loopback, RFC 1918,
// link-local, ULA, documentation and other reserved ranges). IPv4-mapped
// IPv6 addresses are judged as IPv4.
func IsPrivate(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range privateNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// GroupInfo is a snapshot of one group.
type GroupInfo struct {
	Name         string
	Weight       float64
	Owners       []any // Spec.Owner of each member
	MembersCost  float64
	RetainedCost float64
}

// Groups returns a snapshot of every group, ordered by name.
func (m *Model) Groups() []GroupInfo {
	m.mu.Lock()
	out := make([]GroupInfo, 0, len(m.groups))
	for _, g := range m.groups {
		gi := GroupInfo{Name: g.name, Weight: g.weight, RetainedCost: g.retained}
		for a := range g.members {
			gi.Owners = append(gi.Owners, a.owner)
			gi.MembersCost += a.shareLocked()
		}
		out = append(out, gi)
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Refund is the periodic group refund: each group's retained cost drops
// by Period × HardLimit / 5000 (never below zero) and groups with neither
// members nor retained cost are deleted.
func (m *Model) Refund() {
	refund := Period.Seconds() * m.cfg.HardLimit / 5000
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, g := range m.groups {
		if refund <= 0 {
			g.retained = 0
		} else {
			g.retained = math.Max(0, g.retained-refund)
		}
		if g.retained == 0 && len(g.members) == 0 {
			delete(m.groups, name)
		}
	}
}

// RecalcAll recalculates every live account (the periodic recalc).
func (m *Model) RecalcAll() {
	m.mu.Lock()
	now := time.Now()
	var changes []targetChange
	for a := range m.accounts {
		if ch := a.recalcLocked(now); ch.a != nil {
			changes = append(changes, ch)
		}
	}
	m.mu.Unlock()
	for _, ch := range changes {
		ch.fire()
	}
}
