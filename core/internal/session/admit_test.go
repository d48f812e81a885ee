package session

import (
	"context"
	"fmt"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// tryServe starts a session from ip and reports whether it was admitted
// (a refused one ends at once without being registered).
func (r *rig) tryServe(t *testing.T, ip string, p Profile) (*Session, bool) {
	t.Helper()
	c := newFakeConn()
	c.addr = &net.TCPAddr{IP: net.ParseIP(ip), Port: 50001}
	done := make(chan struct{})
	go func() { r.m.Serve(context.Background(), c, echoDispatcher(), p); close(done) }()
	t.Cleanup(func() { c.Close(); <-done })
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		select {
		case <-done:
			return nil, false
		default:
		}
		for _, s := range r.m.Sessions() {
			if s.conn == Conn(c) {
				return s, true
			}
		}
	}
	t.Fatal("session neither admitted nor refused")
	return nil, false
}

func TestAdmissionCaps(t *testing.T) {
	capped := Profile{Capped: true}
	tests := []struct {
		name string
		adm  Admission
		ips  []string
		want []bool
	}{
		{"per ip", Admission{PerIP: 2}, []string{"81.2.69.10", "81.2.69.10", "81.2.69.10", "81.2.69.11"},
			[]bool{true, true, false, true}},
		{"per /24", Admission{PerSubnet: 3}, []string{"81.2.69.1", "81.2.69.2", "81.2.69.3", "81.2.69.4", "81.2.70.1"},
			[]bool{true, true, true, false, true}},
		{"per /48", Admission{PerSubnet: 1}, []string{"2001:db8:1:2::1", "2001:db8:1:3::1", "2001:db8:2::1"},
			[]bool{true, false, true}},
		{"loopback and private exempt", Admission{PerIP: 1, PerSubnet: 1}, []string{"127.0.0.1", "127.0.0.1", "10.0.0.1", "10.0.0.1"},
			[]bool{true, true, true, true}},
		{"private capped when asked", Admission{PerIP: 1, LimitPrivate: true}, []string{"127.0.0.1", "127.0.0.1"},
			[]bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(0)
			r.m.adm = tt.adm
			for i, ip := range tt.ips {
				if _, ok := r.tryServe(t, ip, capped); ok != tt.want[i] {
					t.Fatalf("connection %d from %s admitted=%v, want %v", i, ip, ok, tt.want[i])
				}
			}
		})
	}
	// Uncapped profiles (the admin RPC) are never refused.
	r := newRig(0)
	r.m.adm = Admission{PerIP: 1, MaxSessions: 1}
	for range 3 {
		if _, ok := r.tryServe(t, "81.2.69.10", Profile{}); !ok {
			t.Fatal("uncapped session refused")
		}
	}
}

// TestMaxSessionsShedsOldestIdleOfLargestGroup (issue 11.5): at
// max_sessions a newcomer replaces the oldest idle session of the group
// with the most sessions; without an idle session it is refused.
func TestMaxSessionsShedsOldestIdleOfLargestGroup(t *testing.T) {
	synctest.Test(t, testMaxSessionsSheds)
}

func testMaxSessionsSheds(t *testing.T) {
	r := newRig(0)
	r.m.adm = Admission{MaxSessions: 4}
	capped := Profile{Capped: true}
	a1, _ := r.tryServe(t, "81.2.69.1", capped) // group 81.2.69.0/24: 3 sessions
	time.Sleep(time.Second)
	a2, _ := r.tryServe(t, "81.2.69.2", capped)
	time.Sleep(time.Second)
	a3, _ := r.tryServe(t, "81.2.69.3", capped)
	b1, _ := r.tryServe(t, "93.184.216.1", capped) // the oldest overall is in the small group
	_ = b1
	a1.pending.Add(1) // a1 is busy: not idle
	c1, ok := r.tryServe(t, "151.101.1.1", capped)
	if !ok {
		t.Fatal("newcomer refused at max_sessions with idle sessions to shed")
	}
	waitFor(t, func() bool { return a2.Closing() })
	if a1.Closing() || a3.Closing() || b1.Closing() {
		t.Error("shed a session other than the oldest idle of the largest group")
	}
	if st := r.m.AdmissionStats(); st.Shed != 1 {
		t.Errorf("shed count %d", st.Shed)
	}
	// Now every session is busy: the next newcomer is refused.
	for _, s := range []*Session{a3, b1, c1} {
		s.pending.Add(1)
	}
	if _, ok := r.tryServe(t, "151.101.1.2", capped); ok {
		t.Fatal("admitted with no idle session to shed")
	}
	if st := r.m.AdmissionStats(); st.RefusedFull != 1 {
		t.Errorf("refused-full count %d", st.RefusedFull)
	}
	for _, s := range []*Session{a1, a3, b1, c1} {
		s.pending.Add(-1)
	}
}

// A client reconnecting in a loop gets its address's burst, and
// connections from many addresses of one subnet group get the group's
// burst; then they are refused until the bucket refills. Other addresses
// and groups are not affected, a connection refused by its address's
// bucket takes no token from its group's, and loopback is exempt unless
// the private limits are asked for.
func TestAdmissionConnectRate(t *testing.T) {
	capped := Profile{Capped: true}
	tests := []struct {
		name       string
		adm        Admission
		ips        []string
		want       []bool
		byIP, byNt int64 // refusals expected by the address and subnet rates
	}{
		{"address burst then refused", Admission{RatePerIP: 0.001, BurstPerIP: 2},
			[]string{"81.2.69.10", "81.2.69.10", "81.2.69.10", "81.2.69.11"}, []bool{true, true, false, true}, 1, 0},
		{"address burst below 1 is 1", Admission{RatePerIP: 0.001},
			[]string{"81.2.69.10", "81.2.69.10"}, []bool{true, false}, 1, 0},
		{"loopback address exempt", Admission{RatePerIP: 0.001, BurstPerIP: 1},
			[]string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, []bool{true, true, true}, 0, 0},
		{"loopback address limited when asked", Admission{RatePerIP: 0.001, BurstPerIP: 1, LimitPrivate: true},
			[]string{"127.0.0.1", "127.0.0.1"}, []bool{true, false}, 1, 0},
		{"/24 burst then refused", Admission{RatePerSubnet: 0.001, BurstPerSubnet: 2},
			[]string{"81.2.69.10", "81.2.69.11", "81.2.69.12", "81.2.70.1"}, []bool{true, true, false, true}, 0, 1},
		{"/48 burst then refused", Admission{RatePerSubnet: 0.001, BurstPerSubnet: 2},
			[]string{"2001:db8:1:1::1", "2001:db8:1:2::1", "2001:db8:1:ffff::1", "2001:db8:2::1"},
			[]bool{true, true, false, true}, 0, 1},
		{"burst below 1 is 1", Admission{RatePerSubnet: 0.001},
			[]string{"81.2.69.10", "81.2.69.11"}, []bool{true, false}, 0, 1},
		{"address refusal takes no subnet token",
			Admission{RatePerIP: 0.001, BurstPerIP: 1, RatePerSubnet: 0.001, BurstPerSubnet: 2},
			[]string{"81.2.69.10", "81.2.69.10", "81.2.69.10", "81.2.69.11", "81.2.69.12"},
			[]bool{true, false, false, true, false}, 2, 1},
		{"loopback exempt", Admission{RatePerSubnet: 0.001, BurstPerSubnet: 1},
			[]string{"127.0.0.1", "127.0.0.2", "10.0.0.1", "10.0.0.2"}, []bool{true, true, true, true}, 0, 0},
		{"loopback limited when asked", Admission{RatePerSubnet: 0.001, BurstPerSubnet: 1, LimitPrivate: true},
			[]string{"127.1.0.1", "127.1.0.2", "127.1.1.1"}, []bool{true, false, true}, 0, 1},
		{"no limit", Admission{}, []string{"81.2.69.10", "81.2.69.10", "81.2.69.12"}, []bool{true, true, true}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(0)
			r.m.adm = tt.adm
			for i, ip := range tt.ips {
				s, ok := r.tryServe(t, ip, capped)
				if ok != tt.want[i] {
					t.Fatalf("connection %d from %s admitted=%v, want %v", i, ip, ok, tt.want[i])
				}
				if ok {
					s.Close() // a closed session does not give its token back
				}
			}
			st := r.m.AdmissionStats()
			if st.RefusedRate != tt.byIP || st.RefusedSubnetRate != tt.byNt {
				t.Fatalf("refused by address rate %d, by subnet rate %d; want %d, %d",
					st.RefusedRate, st.RefusedSubnetRate, tt.byIP, tt.byNt)
			}
		})
	}
}

// The bucket refills at RatePerIP, and the idle sweep forgets full buckets
// of addresses that hold no session.
func TestConnectRateRefillsAndPrunes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		m.adm = Admission{RatePerIP: 2, BurstPerIP: 3}
		take := func() bool {
			m.mu.Lock()
			defer m.mu.Unlock()
			return m.ipRates.allow("81.2.69.10", m.adm.RatePerIP, m.adm.BurstPerIP, m.byIP)
		}
		for i := range 3 {
			if !take() {
				t.Fatalf("connection %d of the burst refused", i)
			}
		}
		if take() {
			t.Fatal("a fourth connection at once admitted")
		}
		time.Sleep(500 * time.Millisecond) // one token at 2/s
		if !take() || take() {
			t.Fatal("after 0.5 s at 2/s exactly one more connection should pass")
		}
		m.pruneRates()
		if len(m.ipRates.m) != 1 {
			t.Fatal("a bucket that is not full was forgotten")
		}
		time.Sleep(2 * time.Second) // full again
		m.pruneRates()
		if len(m.ipRates.m) != 0 {
			t.Fatalf("%d full buckets kept", len(m.ipRates.m))
		}
	})
}

// Connections from ever new addresses, or ever new subnet groups, hold
// at most maxRateBuckets buckets in each map: the refilled ones are pruned
// when the map is full, and past that new keys are admitted untracked, not
// refused; the idle sweep forgets the full ones of keys that hold no
// session.
func TestConnectRateBucketsBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		adm     Admission
		buckets func(m *Manager) *rateBuckets
		allow   func(m *Manager, k string) bool
		key     func(i int) string
		fresh   string
	}{
		{
			name: "address", adm: Admission{RatePerIP: 1000, BurstPerIP: 1},
			buckets: func(m *Manager) *rateBuckets { return &m.ipRates },
			allow:   func(m *Manager, k string) bool { return m.ipRates.allow(k, m.adm.RatePerIP, m.adm.BurstPerIP, m.byIP) },
			key:     func(i int) string { return fmt.Sprintf("2001:db8::%x", i) },
			fresh:   "2001:db8:1::1",
		},
		{
			name: "subnet", adm: Admission{RatePerSubnet: 1000, BurstPerSubnet: 1},
			buckets: func(m *Manager) *rateBuckets { return &m.netRates },
			allow: func(m *Manager, k string) bool {
				return m.netRates.allow(k, m.adm.RatePerSubnet, m.adm.BurstPerSubnet, m.byNet)
			},
			key:   func(i int) string { return fmt.Sprintf("2001:db8:%x::/48", i) },
			fresh: "2001:db9::/48",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := NewManager(nil)
				m.adm = tc.adm
				take := func(k string) bool {
					m.mu.Lock()
					defer m.mu.Unlock()
					return tc.allow(m, k)
				}
				for i := range maxRateBuckets + 10 {
					if !take(tc.key(i)) {
						t.Fatalf("key %d refused", i)
					}
				}
				if n := len(tc.buckets(m).m); n != maxRateBuckets {
					t.Fatalf("%d buckets held, want at most %d", n, maxRateBuckets)
				}
				time.Sleep(2 * time.Second) // every bucket refills
				if !take(tc.fresh) {
					t.Fatal("a new key refused")
				}
				if n := len(tc.buckets(m).m); n != 1 {
					t.Fatalf("%d buckets after the prune at the cap, want 1", n)
				}
				time.Sleep(2 * time.Second)
				m.pruneRates()
				if n := len(tc.buckets(m).m); n != 0 {
					t.Fatalf("%d full buckets kept by the sweep", n)
				}
			})
		})
	}
}

// addrKeys takes a *net.TCPAddr without formatting and parsing it: the
// keys are those of its string form.
func TestAddrKeysTCPAddr(t *testing.T) {
	a := Admission{}
	tests := []struct {
		addr          net.Addr
		ipKey, netKey string
	}{
		{&net.TCPAddr{IP: net.IPv4(81, 2, 69, 10), Port: 1}, "81.2.69.10", "81.2.69.0/24"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:81.2.69.10"), Port: 1}, "81.2.69.10", "81.2.69.0/24"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2::1"), Port: 1}, "2001:db8:1:2::1", "2001:db8:1::/48"},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 1, Zone: "eth0"}, "fe80::1%eth0", "fe80::/48"},
		{&net.TCPAddr{}, "?", "?"},
		{(*net.TCPAddr)(nil), "?", "?"},
		{nil, "?", "?"},
		{&net.UnixAddr{Name: "/x", Net: "unix"}, "?", "?"},
	}
	for _, tt := range tests {
		_, ipKey, netKey := a.addrKeys(tt.addr)
		if ipKey != tt.ipKey || netKey != tt.netKey {
			t.Errorf("addrKeys(%v) = %q, %q; want %q, %q", tt.addr, ipKey, netKey, tt.ipKey, tt.netKey)
		}
		if tt.addr == nil || tt.addr == (*net.TCPAddr)(nil) {
			continue
		}
		// The string path gives the same keys.
		_, ipKey2, netKey2 := a.addrKeys(stringAddr(tt.addr.String()))
		if ipKey2 != ipKey || netKey2 != netKey {
			t.Errorf("%v: TCPAddr keys %q, %q; string keys %q, %q", tt.addr, ipKey, netKey, ipKey2, netKey2)
		}
	}
}

// stringAddr is a net.Addr that is only its string.
type stringAddr string

func (a stringAddr) Network() string { return "tcp" }
func (a stringAddr) String() string  { return string(a) }
