package peers

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestParseRealNameGolden: real names parse to the peers.subscribe entries
// and canonical features in testdata/realnames.golden.
func TestParseRealNameGolden(t *testing.T) {
	inputs := []string{
		"ecdsa.net v1.4 s110 t",
		"electrum.example.org s t",
		"203.0.113.9 v1.4.2 p10000 t50001 s50002",
		"node.example.com v1.4.2 xsha256=abcd s443",
		"host-only.example.com",
		"bad-version.example.com vX t1",
		"zero.example.com t0 s70000",
		"  spaced.example.com   t7  ",
		"h t5x",
	}
	var b strings.Builder
	def := DefaultPorts{TCP: 50001, SSL: 50002}
	for _, in := range inputs {
		p, err := parseRealName(in, "test", def)
		if err != nil {
			fmt.Fprintf(&b, "%q -> error %v\n", in, err)
			continue
		}
		tuple, _ := json.Marshal(p.tuple())
		feats := map[string]any{}
		for _, k := range featureKeys {
			feats[k] = p.features[k]
		}
		fj, _ := json.Marshal(feats)
		fmt.Fprintf(&b, "%q -> %s %s\n", in, tuple, fj)
	}
	for _, in := range []string{""} {
		_, err := parseRealName(in, "test", def)
		fmt.Fprintf(&b, "%q -> error %v\n", in, err)
	}
	path := filepath.Join("testdata", "realnames.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestValidHostname(t *testing.T) {
	tests := map[string]bool{
		"example.com": true, "a-b.example.com.": true, "x_y.example": true, "localhost": true,
		"": false, "-a.example.com": false, "a..b": false, "1.2.3.4": false, "a b.com": false,
		strings.Repeat("a", 64) + ".com": false,
	}
	for h, want := range tests {
		if got := validHostname(h); got != want {
			t.Errorf("validHostname(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestBuckets(t *testing.T) {
	tests := []struct{ host, ip, internal, external string }{
		{"a.example.com", "198.51.100.7", "198.51.100.7/32", "198.51.0.0/16"},
		{"b.example.com", "2001:db8:1:2:3::1", "2001:db8:1:2::/64", "2001:db8:1::/56"},
		{"c.onion", "", "onion", "onion"},
		{"d.example.com", "", "", ""},
	}
	for _, tc := range tests {
		p := &peer{host: tc.host, ipAddr: tc.ip}
		if got := p.internalBucket(); got != tc.internal {
			t.Errorf("%s internal bucket %q, want %q", tc.host, got, tc.internal)
		}
		if got := p.externalBucket(); got != tc.external {
			t.Errorf("%s external bucket %q, want %q", tc.host, got, tc.external)
		}
	}
}

func TestBlacklist(t *testing.T) {
	list, err := parseBlacklist([]byte(`["Bad.Example.com", "*.evil.org", "192.0.2.66"]`))
	if err != nil {
		t.Fatal(err)
	}
	m := testManager(t, Options{}, false)
	m.blacklist = list
	tests := []struct {
		host, ip string
		want     bool
	}{
		{"bad.example.com", "", true}, {"x.evil.org", "", true}, {"evil.org", "", true},
		{"ok.example.com", "192.0.2.66", true}, {"ok.example.com", "192.0.2.67", false},
	}
	for _, tc := range tests {
		if got := m.blacklistedLocked(&peer{host: tc.host, ipAddr: tc.ip}); got != tc.want {
			t.Errorf("blacklisted(%s, %s) = %v", tc.host, tc.ip, got)
		}
	}
	if _, err := parseBlacklist([]byte(`{"a":1}`)); err == nil {
		t.Error("object accepted as blacklist")
	}
}

func FuzzParseRealName(f *testing.F) {
	for _, s := range []string{"ecdsa.net v1.4 s110 t", "h p5 xsha=1 s t", "", "1.2.3.4 t-1", "h v1..2 s99999"} {
		f.Add(s)
	}
	def := DefaultPorts{TCP: 50001, SSL: 50002}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseRealName(s, "fuzz", def)
		if err != nil {
			return
		}
		if p.host != strings.Fields(s)[0] {
			t.Fatalf("host %q from %q", p.host, s)
		}
		// The canonical real name parses back to the same ports.
		q, err := parseRealName(p.realName(), "fuzz", def)
		if err != nil {
			t.Fatalf("realName %q does not parse: %v", p.realName(), err)
		}
		if q.tcpPort() != p.tcpPort() || q.sslPort() != p.sslPort() {
			t.Fatalf("%q -> %q changed ports", s, p.realName())
		}
	})
}

func FuzzParseBlacklist(f *testing.F) {
	f.Add([]byte(`["a.example.com","*.b.org"]`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := parseBlacklist(b)
		if err != nil {
			return
		}
		for k := range list {
			if k != strings.ToLower(k) {
				t.Fatalf("entry %q not lower-case", k)
			}
		}
	})
}

// FuzzPeersSubscribeResponse parses a peer's server.peers.subscribe
// result as verification does.
func FuzzPeersSubscribeResponse(f *testing.F) {
	f.Add([]byte(`[["1.2.3.4","a.example.com",["v1.4","s50002","t50001"]]]`))
	f.Add([]byte(`[["x","h",[1]]]`))
	f.Add([]byte(`[[]]`))
	m := New(Options{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if decodeJSON(b, &v) != nil {
			return
		}
		list, ok := v.([]any)
		if !ok {
			return
		}
		for _, item := range list {
			p, err := m.peerFromTuple(item, "fuzz")
			if err != nil {
				continue
			}
			if got := p.tuple(); got[1] != p.host {
				t.Fatalf("tuple %v for host %q", got, p.host)
			}
		}
	})
}
