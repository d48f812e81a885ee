package cost

import (
	"reflect"
	"testing"
	"testing/synctest"
	"time"
)

// TestPrivateGroups: with GroupPrivate (session_limits_private) loopback
// and private addresses get the /24 and /48 groups public ones get;
// without it they get only their time slice. Unknown addresses are
// grouped either way.
func TestPrivateGroups(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		private bool
		want    []string
	}{
		{"127.0.0.1", false, []string{"t0"}},
		{"127.0.0.1", true, []string{"127.0.0.0/24", "t0"}},
		{"127.1.0.200", true, []string{"127.1.0.0/24", "t0"}},
		{"10.1.2.3", true, []string{"10.1.2.0/24", "t0"}},
		{"192.168.1.5", false, []string{"t0"}},
		{"192.168.1.5", true, []string{"192.168.1.0/24", "t0"}},
		{"::1", true, []string{"::/48", "t0"}},
		{"fd12:3456:789a:1::1", true, []string{"fd12:3456:789a::/48", "t0"}},
		{"fd12:3456:789a:1::1", false, []string{"t0"}},
		{"::ffff:127.0.0.9", true, []string{"127.0.0.0/24", "t0"}},
		{"81.2.69.10", false, []string{"81.2.69.0/24", "t0"}},
		{"81.2.69.10", true, []string{"81.2.69.0/24", "t0"}},
	} {
		m := NewModel(Config{IPv4Prefix: 24, IPv6Prefix: 48, HardLimit: 10000, GroupPrivate: tc.private})
		a := m.Open(Spec{Limits: defaults, Addr: tcp(tc.addr)})
		if g := a.Groups(); !reflect.DeepEqual(g, tc.want) {
			t.Errorf("%s (GroupPrivate %v): groups %v, want %v", tc.addr, tc.private, g, tc.want)
		}
	}
	m := NewModel(Config{IPv4Prefix: 24, IPv6Prefix: 48, GroupPrivate: true})
	if g := m.Open(Spec{Limits: defaults}).Groups(); !reflect.DeepEqual(g, []string{UnknownAddrGroup, "t0"}) {
		t.Errorf("no address: groups %v", g)
	}
}

// TestPrivateRetainedCost is the abandon attack from loopback with
// GroupPrivate: what a session leaves in its /24 throttles, then
// refuses, the next session of that /24 (target 0 from its start), with
// the same retention and refund as a public subnet; a session from
// another /24 of 127/8 starts unthrottled. Without GroupPrivate every
// loopback session starts fresh.
func TestPrivateRetainedCost(t *testing.T) {
	for _, tc := range []struct {
		name          string
		private       bool
		nextTarget    int     // a new session of the attacker's /24 after two left
		nextExtra     float64 // its share of its groups
		laterTarget   int     // a session of that /24 after 10 refund periods
		strangerExtra float64 // a session from 127.2.0.1
	}{
		{"default", false, 10, 0, 10, 0},
		// Retained 12,000 (f > 1); after 10 periods of 600, 6,000:
		// f = 5000/9000, target ceil(4.44) = 5.
		{"session_limits_private", true, 0, 12000, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := NewModel(Config{IPv4Prefix: 24, IPv6Prefix: 48, HardLimit: 10000, GroupPrivate: tc.private})
				for _, src := range []string{"127.1.0.1", "127.1.0.2"} {
					a := m.Open(Spec{Limits: defaults, Addr: tcp(src)})
					a.Bump(6000)
					a.Close()
				}
				time.Sleep(time.Second)
				next := m.Open(Spec{Limits: defaults, Addr: tcp("127.1.0.3")})
				if next.Target() != tc.nextTarget || !near(next.ExtraCost(), tc.nextExtra) {
					t.Errorf("next session of the /24: target %d extra %v, want %d %v",
						next.Target(), next.ExtraCost(), tc.nextTarget, tc.nextExtra)
				}
				stranger := m.Open(Spec{Limits: defaults, Addr: tcp("127.2.0.1")})
				if stranger.Target() != 10 || !near(stranger.ExtraCost(), tc.strangerExtra) {
					t.Errorf("stranger: target %d extra %v, want 10 %v", stranger.Target(), stranger.ExtraCost(), tc.strangerExtra)
				}
				next.Close()
				for range 10 {
					m.Refund()
				}
				later := m.Open(Spec{Limits: defaults, Addr: tcp("127.1.0.4")})
				if later.Target() != tc.laterTarget {
					t.Errorf("after 10 refunds: target %d, want %d", later.Target(), tc.laterTarget)
				}
			})
		})
	}
}
