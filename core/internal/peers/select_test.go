package peers

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"testing/synctest"
	"time"
)

// addTestPeer puts a peer straight into the table.
func addTestPeer(t *testing.T, m *Manager, real, ip string, lastGood time.Time, bad bool) *peer {
	t.Helper()
	p, err := parseRealName(real, "test", m.opts.DefaultPorts)
	if err != nil {
		t.Fatal(err)
	}
	p.ipAddr, p.lastGood, p.bad = ip, lastGood, bad
	m.mu.Lock()
	m.peers = append(m.peers, p)
	m.mu.Unlock()
	return p
}

func servedHosts(m *Manager) []string {
	var out []string
	for _, e := range m.PeersSubscribe() {
		out = append(out, e[1].(string))
	}
	sort.Strings(out)
	return out
}

// TestSelection: selection rules — recent, not bad, up to two per /16 or /56,
// onion cap, ourselves when verified.
func TestSelection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := testManager(t, Options{}, false)
		now := time.Now()
		recent, stale := now.Add(-time.Hour), now.Add(-4*time.Hour)
		for i := range 3 { // one IPv4 /16: two of three served
			addTestPeer(t, m, fmt.Sprintf("a%d.example.com t50001", i), fmt.Sprintf("198.51.%d.1", i), recent, false)
		}
		addTestPeer(t, m, "b.example.com t50001", "203.0.113.5", recent, false)
		addTestPeer(t, m, "bad.example.com t50001", "192.0.2.1", recent, true)
		addTestPeer(t, m, "stale.example.com t50001", "192.0.2.2", stale, false)
		addTestPeer(t, m, "never.example.com t50001", "", time.Time{}, false)
		for i := range 3 { // one IPv6 /56: two of three served
			addTestPeer(t, m, fmt.Sprintf("v6-%d.example.com s50002", i), fmt.Sprintf("2001:db8:0:%x::1", i*16), recent, false)
		}
		addTestPeer(t, m, "v6-far.example.com s50002", "2001:db8:0:100::1", recent, false)

		got := servedHosts(m)
		count := func(prefix string) int {
			n := 0
			for _, h := range got {
				if len(h) >= len(prefix) && h[:len(prefix)] == prefix {
					n++
				}
			}
			return n
		}
		if count("a") != 2 || count("b.") != 1 || count("v6-far") != 1 || count("v6-") != 3 || len(got) != 6 {
			t.Errorf("served %v", got)
		}

		// Onion peers: up to max(10, selected/4) — 12 onion peers, 6 clearnet.
		for i := range 12 {
			addTestPeer(t, m, fmt.Sprintf("o%02d.onion t50001", i), "", recent, false)
		}
		onion := 0
		for _, e := range m.PeersSubscribe() {
			if p := e[1].(string); len(p) > 6 && p[len(p)-6:] == ".onion" {
				onion++
				if e[0] != p {
					t.Errorf("onion entry %v: first element should be the host", e)
				}
			}
		}
		if onion != 10 {
			t.Errorf("served %d onion peers, want 10", onion)
		}
		if got := len(m.PeersSubscribeFor(true)); got != 6+12 {
			t.Errorf("via Tor: %d entries, want 18", got)
		}
	})
}

// TestSelectionSelf: our identities are served once verified within 3 h.
func TestSelectionSelf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := testManager(t, Options{OurFeatures: ourFeatures(50001)}, false)
		m.selves = m.buildSelves() // what Run does
		if len(m.selves) != 1 {
			t.Fatalf("selves = %v", m.selves)
		}
		s := m.selves[0]
		m.mu.Lock()
		m.peers = append(m.peers, s)
		s.lastGood = time.Now().Add(-time.Hour)
		m.mu.Unlock()
		want := [][]any{{"127.0.0.1", "127.0.0.1", []any{"v1.4.2", "t50001"}}}
		if got := m.PeersSubscribe(); !reflect.DeepEqual(got, want) {
			t.Errorf("PeersSubscribe = %v, want %v", got, want)
		}
		time.Sleep(2*time.Hour + time.Second)
		if got := m.PeersSubscribe(); len(got) != 0 {
			t.Errorf("stale self served: %v", got)
		}
	})
}

// TestPeersOrderAndStatus: admin rows are non-bad first, most recent good
// first; statuses as docs/protocol.md, Peer discovery, names them; counts agree.
func TestPeersOrderAndStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := testManager(t, Options{}, false)
		now := time.Now()
		addTestPeer(t, m, "never.example.com t1", "", time.Time{}, false)
		addTestPeer(t, m, "bad.example.com t1", "", now.Add(-time.Minute), true)
		addTestPeer(t, m, "stale.example.com t1", "", now.Add(-5*time.Hour), false)
		addTestPeer(t, m, "good.example.com t1", "", now.Add(-time.Hour), false)
		addTestPeer(t, m, "newest.example.com t1", "", now.Add(-time.Minute), false)
		var got []string
		for _, r := range m.Peers() {
			got = append(got, r.Host+"="+r.Status)
		}
		want := []string{"newest.example.com=good", "good.example.com=good", "stale.example.com=stale",
			"never.example.com=never", "bad.example.com=bad"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Peers order = %v\nwant %v", got, want)
		}
		if c := m.Counts(); !reflect.DeepEqual(c, map[string]int{"bad": 1, "good": 2, "never": 1, "stale": 1, "total": 5}) {
			t.Errorf("Counts = %v", c)
		}
	})
}

// TestModeOff: nothing is served or noted.
func TestModeOff(t *testing.T) {
	fp := startFakePeer(t)
	m := testManager(t, Options{Mode: "off", Seeds: []string{seed(fp.Port)}, AllowPrivate: true}, true)
	m.AddAdminPeer(seed(fp.Port))
	if got := m.PeersSubscribe(); got == nil || len(got) != 0 {
		t.Errorf("PeersSubscribe = %#v, want empty non-nil", got)
	}
	if len(m.Peers()) != 0 || m.Counts()["total"] != 0 {
		t.Errorf("peers noted in mode off: %v", m.Peers())
	}
}

// TestModeSelf: only our identity is verified (by connecting to
// ourselves: here a fake peer that reports our identity) and served;
// seeds are ignored.
func TestModeSelf(t *testing.T) {
	us, other := startFakePeer(t), startFakePeer(t)
	m := testManager(t, Options{Mode: "self", Seeds: []string{seed(other.Port)}, AllowPrivate: true,
		OurFeatures: ourFeatures(us.Port)}, true)
	waitFor(t, "self verified", func() bool { p, _ := peerInfo(m, "127.0.0.1", us.Port); return p.Status == "good" })
	want := [][]any{{"127.0.0.1", "127.0.0.1", []any{"v1.4.2", "t" + itoa(us.Port)}}}
	if got := m.PeersSubscribe(); !reflect.DeepEqual(got, want) {
		t.Errorf("PeersSubscribe = %v, want %v", got, want)
	}
	if n := len(m.Peers()); n != 1 {
		t.Errorf("%d peers in mode self, want 1", n)
	}
	if n := len(us.addedFeatures()); n != 0 {
		t.Errorf("announced to ourselves %d times", n)
	}
}
