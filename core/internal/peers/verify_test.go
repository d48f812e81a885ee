package peers

import (
	"net"
	"reflect"
	"strings"
	"testing"
)

// TestVerifySuccess: a seed that answers correctly becomes good, its
// features are adopted, two of the three peers it reports are learned, we
// announce ourselves to it, and it is served by server.peers.subscribe.
func TestVerifySuccess(t *testing.T) {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) {
		f.Peers = []any{
			[]any{"203.0.113.1", "a.example.com", []any{"v1.4", "s50002", "t50001"}},
			[]any{"203.0.113.2", "b.example.com", []any{"v1.4", "t50001"}},
			[]any{"203.0.113.3", "c.example.com", []any{"v1.4", "s"}},
		}
	})
	m := testManager(t, Options{
		Seeds: []string{seed(fp.Port)}, AllowPrivate: true, Announce: true,
		OurFeatures: ourFeatures(1), // our identity 127.0.0.1:1, never reachable
	}, true)

	waitFor(t, "seed verified", func() bool { p, _ := peerInfo(m, "127.0.0.1", fp.Port); return p.Status == "good" })
	p, _ := peerInfo(m, "127.0.0.1", fp.Port)
	if p.Features["server_version"] != "FakePeer 1.0" || p.IPAddr != "127.0.0.1" || p.Source != "peer" || p.TryCount != 0 {
		t.Errorf("verified peer row = %+v", p)
	}
	waitFor(t, "announcement", func() bool { return len(fp.addedFeatures()) == 1 })
	if hosts := fp.addedFeatures()[0]["hosts"]; !reflect.DeepEqual(hosts, map[string]any{"127.0.0.1": map[string]any{"tcp_port": float64(1)}}) {
		t.Errorf("announced hosts = %v", hosts)
	}

	learned := 0
	for _, row := range m.Peers() {
		if strings.HasSuffix(row.Host, ".example.com") {
			learned++
			if row.Source != "127.0.0.1" && row.Source != "peer" {
				t.Errorf("learned peer source = %q", row.Source)
			}
		}
	}
	if learned != 2 {
		t.Errorf("learned %d peers from the list of 3, want 2", learned)
	}

	want := []any{"127.0.0.1", "127.0.0.1", []any{"v1.4.2", "t" + itoa(fp.Port)}}
	got := m.PeersSubscribe()
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("PeersSubscribe = %v, want [%v]", got, want)
	}
	if c := m.Counts(); c["good"] != 1 || c["total"] != 4 {
		// seed + 2 learned + our own identity (never reachable)
		t.Errorf("Counts = %v", c)
	}
}

// TestVerifyBad: lying or incompatible peers end bad with the reason.
func TestVerifyBad(t *testing.T) {
	tests := []struct {
		name   string
		change func(*fakePeer)
		reason string
	}{
		{"genesis mismatch", func(f *fakePeer) { f.Genesis = strings.Repeat("ab", 32) }, "incorrect genesis hash"},
		{"header mismatch", func(f *fakePeer) { f.Chain = "other" }, "our header"},
		{"height too far", func(f *fakePeer) { f.Height = 106 }, "bad height 106 (ours: 100)"},
		{"host not listed", func(f *fakePeer) { f.Host = "elsewhere.example.com" }, "not listed in own hosts list"},
		{"malformed peers list", func(f *fakePeer) { f.Peers = []any{"junk"} }, "bad server.peers.subscribe response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := startFakePeer(t)
			fp.set(tc.change)
			m := testManager(t, Options{Seeds: []string{seed(fp.Port)}, AllowPrivate: true}, true)
			waitFor(t, "peer marked bad", func() bool { p, _ := peerInfo(m, "127.0.0.1", fp.Port); return p.Status == "bad" })
			p, _ := peerInfo(m, "127.0.0.1", fp.Port)
			if !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", p.Reason, tc.reason)
			}
			if got := m.PeersSubscribe(); len(got) != 0 {
				t.Errorf("bad peer served: %v", got)
			}
			if c := m.Counts(); c["bad"] != 1 || c["total"] != 1 {
				t.Errorf("Counts = %v", c)
			}
		})
	}
}

// TestHeightWithinFive: a peer 5 blocks ahead on our chain is good (the
// header compared is ours at our height).
func TestHeightWithinFive(t *testing.T) {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) { f.Height = 105 })
	m := testManager(t, Options{Seeds: []string{seed(fp.Port)}, AllowPrivate: true}, true)
	waitFor(t, "peer verified", func() bool { p, ok := peerInfo(m, "127.0.0.1", fp.Port); return ok && p.Status != "never" })
	if p, _ := peerInfo(m, "127.0.0.1", fp.Port); p.Status != "good" {
		t.Errorf("status %q reason %q", p.Status, p.Reason)
	}
}

// TestPrivateAddresses: private and loopback peers are ignored unless
// AllowPrivate; a public name that connects to a private address is bad.
func TestPrivateAddresses(t *testing.T) {
	fp := startFakePeer(t)
	for _, allow := range []bool{false, true} {
		m := testManager(t, Options{Seeds: []string{seed(fp.Port), "10.1.2.3 t50001", "192.168.1.1 s"}, AllowPrivate: allow}, true)
		m.AddAdminPeer("172.16.0.1 t50001")
		if allow {
			waitFor(t, "private peers noted", func() bool { return len(m.Peers()) == 4 })
			continue
		}
		if got := m.Peers(); len(got) != 0 {
			t.Errorf("AllowPrivate=false noted %v", got)
		}
	}

	fp.set(func(f *fakePeer) { f.Host = "priv.example.com" })
	d := newFakeDialer()
	d.route("priv.example.com:"+itoa(fp.Port), fp.ln.Addr().String(), nil)
	m := testManager(t, Options{Seeds: []string{"priv.example.com t" + itoa(fp.Port)}, Dialer: d}, true)
	waitFor(t, "peer marked bad", func() bool { p, _ := peerInfo(m, "priv.example.com", fp.Port); return p.Status == "bad" })
	if p, _ := peerInfo(m, "priv.example.com", fp.Port); p.Reason != "private address 127.0.0.1" {
		t.Errorf("reason = %q", p.Reason)
	}
}

// TestPublicNameVerified: a host name is dialled through the dialer and
// its connected IP recorded.
func TestPublicNameVerified(t *testing.T) {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) { f.Host = "pub.example.com" })
	d := newFakeDialer()
	d.route("pub.example.com:"+itoa(fp.Port), fp.ln.Addr().String(), net.ParseIP("198.51.100.7"))
	m := testManager(t, Options{Seeds: []string{"pub.example.com t" + itoa(fp.Port)}, Dialer: d}, true)
	waitFor(t, "verified", func() bool { p, _ := peerInfo(m, "pub.example.com", fp.Port); return p.Status == "good" })
	got := m.PeersSubscribe()
	want := [][]any{{"198.51.100.7", "pub.example.com", []any{"v1.4.2", "t" + itoa(fp.Port)}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PeersSubscribe = %v, want %v", got, want)
	}
}

// TestTransportOrder: SSL is tried first (self-signed certificates are
// accepted), TCP after an SSL failure; the verified peer keeps the ports
// its features report.
func TestTransportOrder(t *testing.T) {
	closed := func() int { // a port nobody listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	sslPeer := startFakePeerOn(t, true)
	tcpPeer := startFakePeer(t)
	tests := []struct {
		name string
		seed string
		fp   *fakePeer
	}{
		{"ssl", "127.0.0.1 s" + itoa(sslPeer.Port) + " t" + itoa(closed), sslPeer},
		{"tcp after ssl failure", "127.0.0.1 s" + itoa(closed) + " t" + itoa(tcpPeer.Port), tcpPeer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testManager(t, Options{Seeds: []string{tc.seed}, AllowPrivate: true}, true)
			waitFor(t, "verified", func() bool {
				rows := m.Peers()
				return len(rows) == 1 && rows[0].Status == "good"
			})
			key := "tcp_port"
			if tc.fp.TLS {
				key = "ssl_port"
			}
			p := m.Peers()[0]
			if p.Features[key] != tc.fp.Port || p.TryCount != 0 || p.Reason != "" {
				t.Errorf("row %+v, want %s %d", p, key, tc.fp.Port)
			}
		})
	}
}
