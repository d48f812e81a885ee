package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/session"
)

// idleConn is a client connection that sends nothing: its session stays
// open (and idle) until the manager closes it.
type idleConn struct {
	addr   net.Addr
	closed chan struct{}
	once   sync.Once
}

func newIdleConn(ip string) *idleConn {
	return &idleConn{addr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 50001)), closed: make(chan struct{})}
}

func (c *idleConn) ReadMessage(ctx context.Context) ([]byte, error) {
	select {
	case <-c.closed:
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *idleConn) WriteMessage(context.Context, []byte) error { return nil }
func (c *idleConn) Close() error                               { c.once.Do(func() { close(c.closed) }); return nil }
func (c *idleConn) RemoteAddr() net.Addr                       { return c.addr }
func (c *idleConn) Kind() string                               { return "tcp" }

func (c *idleConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
	}
	return false
}

// TestAdmission: the client services' admission as amberd configures it
// (prepareLimits, admissionOf): per-address and per-subnet caps (IPv4 /24,
// IPv6 by session_group_by_subnet_ipv6), loopback exempt unless
// session_limits_private, and max_sessions clamped to the open-file limit,
// at which a new client replaces the oldest idle session.
func TestAdmission(t *testing.T) {
	base := func() *config.Config {
		return &config.Config{DBEngine: "buntdb", MaxSessions: 1000, MaxSessionsPerIP: 100, MaxSessionsPerSubnet: 500,
			SessionGroupBySubnetIPv4: 24, SessionGroupBySubnetIPv6: 48}
	}
	tests := []struct {
		name   string
		cfg    func(*config.Config)
		nofile uint64 // 0: unknown
		addrs  []string
		want   session.AdmissionStats
		open   int   // sessions open at the end
		closed []int // indexes of the connections closed (refused or shed)
	}{
		{"per address", func(c *config.Config) { c.MaxSessionsPerIP = 2 }, 0,
			[]string{"203.0.113.7", "203.0.113.7", "203.0.113.7", "203.0.113.8"},
			session.AdmissionStats{RefusedPerIP: 1}, 3, []int{2}},
		{"per IPv4 /24", func(c *config.Config) { c.MaxSessionsPerSubnet = 2 }, 0,
			[]string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "198.51.100.1"},
			session.AdmissionStats{RefusedPerSubnet: 1}, 3, []int{2}},
		{"per IPv6 /48", func(c *config.Config) { c.MaxSessionsPerSubnet = 1 }, 0,
			[]string{"2001:db8:1::1", "2001:db8:1:2::1", "2001:db8:2::1"},
			session.AdmissionStats{RefusedPerSubnet: 1}, 2, []int{1}},
		{"loopback exempt", func(c *config.Config) { c.MaxSessionsPerIP = 1 }, 0,
			[]string{"127.0.0.1", "127.0.0.1", "127.0.0.1"},
			session.AdmissionStats{}, 3, nil},
		{"loopback limited with session_limits_private", func(c *config.Config) { c.MaxSessionsPerIP, c.SessionLimitsPrivate = 1, true }, 0,
			[]string{"127.0.0.1", "127.0.0.1", "10.0.0.1"},
			session.AdmissionStats{RefusedPerIP: 1}, 2, []int{1}},
		// buntdb keeps 350 files for itself: 352 leaves 2 sessions. The
		// third client replaces the oldest idle session of the largest
		// group.
		{"max_sessions clamped to the open-file limit", nil, 352,
			[]string{"203.0.113.1", "203.0.113.2", "192.0.2.1"},
			session.AdmissionStats{Shed: 1}, 2, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			cfg.DBDirectory = t.TempDir()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler)}
			if err := s.prepareLimits(tt.nofile); err != nil {
				t.Fatal(err)
			}
			mgr := session.NewManagerWith(s.log, session.Options{Admission: admissionOf(cfg, s.lim.maxSessions)})
			disp := electrum.New(electrum.Options{})
			ctx, cancel := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			t.Cleanup(func() { cancel(); wg.Wait() })
			conns := make([]*idleConn, len(tt.addrs))
			for i, a := range tt.addrs {
				c := newIdleConn(a)
				conns[i] = c
				before := mgr.AdmissionStats()
				count := mgr.Count()
				wg.Add(1)
				go func() { defer wg.Done(); mgr.Serve(ctx, c, disp, session.Profile{Capped: true}) }()
				// Settled: the session is open, or a refusal or shed was counted.
				waitFor(t, "connection "+a+" to be admitted or refused", func() bool {
					return mgr.Count() > count || mgr.AdmissionStats() != before
				})
			}
			waitFor(t, "the refused and shed connections to close", func() bool {
				for _, i := range tt.closed {
					if !conns[i].isClosed() {
						return false
					}
				}
				return mgr.Count() == tt.open
			})
			if got := mgr.AdmissionStats(); got != tt.want {
				t.Errorf("admission stats %+v, want %+v", got, tt.want)
			}
			for i, c := range conns {
				want := false
				for _, j := range tt.closed {
					want = want || i == j
				}
				if c.isClosed() != want {
					t.Errorf("connection %d (%s): closed %v, want %v", i, tt.addrs[i], c.isClosed(), want)
				}
			}
		})
	}
}
