package peers

import (
	"context"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func featuresOf(host string, tcp int, genesis string) map[string]any {
	return FeaturesMap(map[string]any{
		"hosts":          map[string]any{host: map[string]any{"tcp_port": tcp}},
		"genesis_hash":   genesis,
		"server_version": "FakePeer 1.0",
		"protocol_min":   "1.4",
		"protocol_max":   "1.4.2",
	})
}

var from127 = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

// TestAddPeerRateLimit: one accepted add_peer per bucket per 600 s; the
// bucket is refreshed by rejected calls too; pruning after a successful
// verification drops old entries and keeps recent ones (the upstream bug
// dropped the recent ones, which let the second call below through). The
// fake peers run outside the synctest bubble, the manager inside it.
func TestAddPeerRateLimit(t *testing.T) {
	fp1, fp2 := startFakePeer(t), startFakePeer(t)
	synctest.Test(t, func(t *testing.T) {
		m := testManager(t, Options{AllowPrivate: true}, true)
		ctx := context.Background()

		m.mu.Lock()
		m.recentAdds["old.example"] = time.Now().Add(-2 * time.Hour)
		m.mu.Unlock()

		if !m.AddPeer(ctx, featuresOf("127.0.0.1", fp1.Port, testGenesis.String()), from127) {
			t.Fatal("first add_peer rejected")
		}
		waitFor(t, "fp1 verified", func() bool { p, _ := peerInfo(m, "127.0.0.1", fp1.Port); return p.Status == "good" })
		m.mu.Lock()
		_, oldKept := m.recentAdds["old.example"]
		_, recentKept := m.recentAdds["ip_addr"]
		m.mu.Unlock()
		if oldKept || !recentKept {
			t.Errorf("after pruning: old entry kept=%v, recent entry kept=%v; want false, true", oldKept, recentKept)
		}

		time.Sleep(599 * time.Second)
		if m.AddPeer(ctx, featuresOf("127.0.0.1", fp2.Port, testGenesis.String()), from127) {
			t.Error("second add_peer in the same bucket within 600 s accepted")
		}
		time.Sleep(599 * time.Second) // the rejected call refreshed the bucket
		if m.AddPeer(ctx, featuresOf("127.0.0.1", fp2.Port, testGenesis.String()), from127) {
			t.Error("add_peer accepted 599 s after a rejected call")
		}
		time.Sleep(601 * time.Second)
		if !m.AddPeer(ctx, featuresOf("127.0.0.1", fp2.Port, testGenesis.String()), from127) {
			t.Error("add_peer rejected after the pause")
		}
		waitFor(t, "fp2 verified", func() bool { p, _ := peerInfo(m, "127.0.0.1", fp2.Port); return p.Status == "good" })
	})
}

// TestAddPeerChecks covers the acceptance rules other than the rate limit.
func TestAddPeerChecks(t *testing.T) {
	res := fakeResolver{"peer.example.com": {"192.0.2.1", "127.0.0.1"}, "other.example.net": {"192.0.2.9"}}
	g := testGenesis.String()
	tests := []struct {
		name     string
		mode     string
		features map[string]any
		remote   net.Addr
		want     bool
	}{
		{"ip host equal to caller", "on", featuresOf("127.0.0.1", 1, g), from127, true},
		{"ip host not the caller", "on", featuresOf("127.0.0.2", 1, g), from127, false},
		{"name resolving to caller", "on", featuresOf("peer.example.com", 1, g), from127, true},
		{"name resolving elsewhere", "on", featuresOf("other.example.net", 1, g), from127, false},
		{"name not resolving", "on", featuresOf("nowhere.example.org", 1, g), from127, false},
		{"no caller address", "on", featuresOf("127.0.0.1", 1, g), nil, false},
		{"no hosts", "on", map[string]any{"genesis_hash": g}, from127, false},
		{"empty hosts", "on", map[string]any{"hosts": map[string]any{}}, from127, false},
		{"mode self", "self", featuresOf("127.0.0.1", 1, g), from127, false},
		{"mode off", "off", featuresOf("127.0.0.1", 1, g), from127, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := testManager(t, Options{Mode: tc.mode, AllowPrivate: true, Resolver: res}, false)
			if got := m.AddPeer(context.Background(), tc.features, tc.remote); got != tc.want {
				t.Errorf("AddPeer = %v, want %v", got, tc.want)
			}
			if n := len(m.Peers()); (n == 1) != tc.want {
				t.Errorf("%d peers noted", n)
			}
		})
	}
}

// TestAddPeerLiar: a peer accepted by add_peer that then lies about its
// genesis ends bad with the reason.
func TestAddPeerLiar(t *testing.T) {
	fp := startFakePeer(t)
	bogus := strings.Repeat("ee", 32)
	fp.set(func(f *fakePeer) { f.Genesis = bogus })
	m := testManager(t, Options{AllowPrivate: true}, true)
	if !m.AddPeer(context.Background(), featuresOf("127.0.0.1", fp.Port, testGenesis.String()), from127) {
		t.Fatal("add_peer rejected")
	}
	waitFor(t, "liar marked bad", func() bool { p, _ := peerInfo(m, "127.0.0.1", fp.Port); return p.Status == "bad" })
	p, _ := peerInfo(m, "127.0.0.1", fp.Port)
	if p.Reason != `incorrect genesis hash "`+bogus+`"` || p.Source != "127.0.0.1" {
		t.Errorf("row = %+v", p)
	}
}

// TestAddAdminPeer: the reply text, port-change re-checks, and modes.
func TestAddAdminPeer(t *testing.T) {
	m := testManager(t, Options{AllowPrivate: true}, false)
	if got := m.AddAdminPeer("127.0.0.1 t5"); got != "peer '127.0.0.1 t5' added" {
		t.Errorf("reply %q", got)
	}
	if got := m.AddAdminPeer(""); got != "peer '' added" {
		t.Errorf("reply %q", got)
	}
	m.AddAdminPeer("127.0.0.1 t5 s6")
	rows := m.Peers()
	if len(rows) != 1 || rows[0].Source != "RPC" || rows[0].Features["tcp_port"] != 5 {
		t.Fatalf("rows = %+v", rows)
	}
	m.mu.Lock()
	other := m.peers[0].otherPorts
	m.mu.Unlock()
	if len(other) != 1 || other[0] != (connTuple{"SSL", 6}) {
		t.Errorf("port change not noted: %v", other)
	}
	self := testManager(t, Options{Mode: "self", AllowPrivate: true}, false)
	self.AddAdminPeer("127.0.0.1 t5")
	if n := len(self.Peers()); n != 0 {
		t.Errorf("mode self noted %d admin peers", n)
	}
}
