package electrum

import (
	"strings"
	"testing"

	"github.com/spf13/afero"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// TestBroadcastHexFirst: a raw transaction that is not hex is refused
// before any cost or daemon call (session.py transaction_broadcast:
// assert_hex_str comes first); the empty string is hex (is_hex_str).
func TestBroadcastHexFirst(t *testing.T) {
	for _, tc := range []struct{ params, msg string }{
		{`["zz"]`, "zz should be a hex string"},
		{`["abc"]`, "abc should be a hex string"},
		{`["aa bb"]`, "aa bb should be a hex string"},
		{`[5]`, "5 should be a hex string"},
		{`[null]`, "None should be a hex string"},
		{`[["aa"]]`, "['aa'] should be a hex string"},
	} {
		srv, _, d := newFixture(t)
		s := &fakeSess{}
		_, jerr := do(t, srv, s, "blockchain.transaction.broadcast", tc.params)
		if jerr == nil || jerr.Code != jsonrpc.BadRequest || jerr.Message != tc.msg {
			t.Errorf("%s: %+v, want %q", tc.params, jerr, tc.msg)
		}
		if d.broadcasts != 0 || s.takeCost() != 0 {
			t.Errorf("%s: daemon called %d times, cost %v", tc.params, d.broadcasts, s.cost)
		}
	}
	srv, _, d := newFixture(t)
	d.txid = "ab"
	s := &fakeSess{}
	if res, jerr := do(t, srv, s, "blockchain.transaction.broadcast", `["00AbcD"]`); jerr != nil || res != `"ab"` || d.broadcasts != 1 {
		t.Fatalf("valid hex: %s %+v (%d calls)", res, jerr, d.broadcasts)
	}
	if c := s.takeCost(); !near(c, 0.25+6.0/5000) {
		t.Errorf("cost %v", c)
	}
	d.err = &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -26, DaemonMessage: "bad-txns-inputs-missingorspent"}
	_, jerr := do(t, srv, s, "blockchain.transaction.broadcast", `["00"]`)
	if jerr == nil || jerr.Message != "the transaction was rejected by network rules.\n\nbad-txns-inputs-missingorspent\n[00]" {
		t.Errorf("rejection: %+v", jerr)
	}
}

// TestBroadcastOldClientWarning: Electrum < 3.3.3 gets the upgrade text
// instead of the txid (coins.py warn_old_client_on_tx_broadcast).
func TestBroadcastOldClientWarning(t *testing.T) {
	for client, warn := range map[string]bool{"3.3.2": true, "3.3.3": false, "electrum/3.0": false, "": false} {
		srv, _, d := newFixture(t)
		d.txid = "ab"
		s := &fakeSess{client: client}
		res, jerr := do(t, srv, s, "blockchain.transaction.broadcast", `["00"]`)
		if jerr != nil || strings.Contains(res, "VULNERABLE") != warn {
			t.Errorf("client %q: %s %+v", client, res, jerr)
		}
	}
}

// TestEstimateFeeMode: a string mode is upper-cased, anything else ignored
// (session.py estimatefee).
func TestEstimateFeeMode(t *testing.T) {
	for params, mode := range map[string]string{`[2, "economical"]`: "ECONOMICAL", `[2, "Conservative"]`: "CONSERVATIVE",
		`[2, 5]`: "", `[2, null]`: "", `[2, ["x"]]`: "", `[2, true]`: ""} {
		srv, _, d := newFixture(t)
		d.fee = 0.0001
		if _, jerr := do(t, srv, &fakeSess{}, "blockchain.estimatefee", params); jerr != nil || d.lastMode != mode {
			t.Errorf("%s: %+v, mode %q want %q", params, jerr, d.lastMode, mode)
		}
	}
}

// proxyPeers is a Peers with a detected proxy and per-Tor lists.
type proxyPeers struct {
	fakePeers
	proxy string
}

func (p *proxyPeers) ProxyAddress() string { return p.proxy }
func (p *proxyPeers) PeersSubscribeFor(viaTor bool) [][]any {
	if viaTor {
		return [][]any{{"tor"}}
	}
	return [][]any{{"clear"}}
}

// TestTorSessions: a session from the detected proxy's IP gets the Tor
// banner and the Tor peer list (session.py is_tor); a proxy known by name
// never matches, as upstream compares an IP address with it.
func TestTorSessions(t *testing.T) {
	for _, tc := range []struct {
		proxy string
		tor   bool
	}{
		{"127.0.0.1:9050", true}, {"10.0.0.1:9050", false}, {"localhost:9050", false}, {"", false},
	} {
		srv, _, _ := newFixture(t)
		fs := afero.NewMemMapFs()
		afero.WriteFile(fs, "/b.txt", []byte("clear"), 0o644)
		afero.WriteFile(fs, "/t.txt", []byte("onion"), 0o644)
		srv.opts.Banner = BannerOptions{Fs: fs, File: "/b.txt", TorFile: "/t.txt"}
		srv.opts.Peers = &proxyPeers{proxy: tc.proxy}
		srv.ReloadBanner()
		s := &fakeSess{} // from 127.0.0.1
		banner, _ := do(t, srv, s, "server.banner", `[]`)
		peers, _ := do(t, srv, s, "server.peers.subscribe", `[]`)
		wantB, wantP := `"clear"`, `[["clear"]]`
		if tc.tor {
			wantB, wantP = `"onion"`, `[["tor"]]`
		}
		if banner != wantB || peers != wantP {
			t.Errorf("proxy %q: banner %s peers %s, want %s %s", tc.proxy, banner, peers, wantB, wantP)
		}
	}
}

// TestBannerLoading: the banner is read by ReloadBanner only (not per
// request), TOR_BANNER_FILE defaults to BANNER_FILE, and an oversized or
// non-UTF-8 file gives the default text.
func TestBannerLoading(t *testing.T) {
	srv, _, _ := newFixture(t)
	fs := afero.NewMemMapFs()
	afero.WriteFile(fs, "/b.txt", []byte("one"), 0o644)
	srv.opts.Banner = BannerOptions{Fs: fs, File: "/b.txt"}
	srv.ReloadBanner()
	afero.WriteFile(fs, "/b.txt", []byte("two"), 0o644)
	if b, _ := do(t, srv, &fakeSess{}, "server.banner", `[]`); b != `"one"` {
		t.Errorf("banner re-read per request: %s", b)
	}
	srv.ReloadBanner()
	if b, _ := do(t, srv, &fakeSess{}, "server.banner", `[]`); b != `"two"` {
		t.Errorf("after reload: %s", b)
	}
	if got := srv.banner.Load(); !got.torOK || got.tor != "two" {
		t.Errorf("Tor banner does not default to the banner: %+v", got)
	}
	def := `"You are connected to an Amber 0.1.0 server."`
	for name, body := range map[string][]byte{"big": make([]byte, MaxBannerBytes+1), "not utf-8": {0xff, 0xfe}} {
		afero.WriteFile(fs, "/b.txt", body, 0o644)
		srv.ReloadBanner()
		if b, _ := do(t, srv, &fakeSess{}, "server.banner", `[]`); b != def {
			t.Errorf("%s banner file: %.60s", name, b)
		}
	}
	afero.WriteFile(fs, "/b.txt", make([]byte, MaxBannerBytes), 0o644)
	srv.ReloadBanner()
	if b := srv.banner.Load(); !b.plainOK {
		t.Error("a banner of exactly MaxBannerBytes refused")
	}
}

func TestDaemonVersionFormula(t *testing.T) {
	for v, want := range map[int64]string{260100: "26.1.0", 290100: "29.1.0", 240002: "24.0.2", 170001: "17.0.1", 1000000: "100.0.0"} {
		if got := daemonVersion(v); got != want {
			t.Errorf("daemonVersion(%d) = %s, want %s", v, got, want)
		}
	}
}
