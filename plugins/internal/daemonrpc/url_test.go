package daemonrpc

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in        string
		optional  bool
		wantURL   string
		wantUser  string
		wantPass  string
		wantLog   string
		wantError bool
	}{
		{in: "u:p@127.0.0.1:8332", wantURL: "http://u:p@127.0.0.1:8332/", wantUser: "u", wantPass: "p", wantLog: "127.0.0.1:8332"},
		{in: "  u:p@localhost//  ", wantURL: "http://u:p@localhost:18332/", wantUser: "u", wantPass: "p", wantLog: "localhost:18332"},
		{in: "http://rpc:secret@host.example:9000/", wantURL: "http://rpc:secret@host.example:9000/", wantUser: "rpc", wantPass: "secret", wantLog: "host.example:9000"},
		{in: "https://a:b@h", wantURL: "https://a:b@h:18332/", wantUser: "a", wantPass: "b", wantLog: "h:18332"},
		{in: "u:p@[::1]:8332", wantURL: "http://u:p@[::1]:8332/", wantUser: "u", wantPass: "p", wantLog: "[::1]:8332"},
		{in: "u:p@[::1]", wantURL: "http://u:p@[::1]:18332/", wantUser: "u", wantPass: "p", wantLog: "[::1]:18332"},
		{in: "u:p@ss@w0rd@127.0.0.1:1", wantURL: "http://u:p@ss@w0rd@127.0.0.1:1/", wantUser: "u", wantPass: "p@ss@w0rd", wantLog: "127.0.0.1:1"},
		{in: "user@h:2", wantURL: "http://user@h:2/", wantUser: "user", wantLog: "h:2"},
		{in: "127.0.0.1:8332", optional: true, wantURL: "http://127.0.0.1:8332/", wantLog: "127.0.0.1:8332"},
		{in: "127.0.0.1:8332", wantError: true},  // credentials mandatory
		{in: "@127.0.0.1:8332", wantError: true}, // empty credentials
		{in: "u:p@", wantError: true},            // no host
		{in: "u:p@h:", wantError: true},          // empty port
		{in: "u:p@h:0", wantError: true},         // port out of range
		{in: "u:p@h:70000", wantError: true},     // port out of range
		{in: "u:p@h:80x", wantError: true},       // bad port
		{in: "u:p@h/path", wantError: true},      // paths are not allowed
		{in: "ftp://u:p@h:1", wantError: true},   // unknown scheme
		{in: "u:p@h h:1", wantError: true},       // space in host
		{in: "", wantError: true},                // empty
		{in: "u:p@[::1", wantError: true},        // unterminated bracket
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ep, err := ParseURL(tc.in, 18332, tc.optional)
			if tc.wantError {
				if err == nil {
					t.Fatalf("ParseURL(%q) = %+v, want error", tc.in, ep)
				}
				want := `invalid daemon URL: "` + strings.TrimRight(strings.TrimSpace(tc.in), "/") + `"`
				if err.Error() != want {
					t.Fatalf("error %q, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.URL != tc.wantURL || ep.User != tc.wantUser || ep.Pass != tc.wantPass || ep.Logged != tc.wantLog {
				t.Fatalf("got %+v", ep)
			}
			if strings.Contains(ep.Base, "@") || !strings.HasSuffix(ep.Base, "/") {
				t.Fatalf("Base %q must have no credentials and a trailing slash", ep.Base)
			}
		})
	}
}

func TestParseURLs(t *testing.T) {
	eps, err := ParseURLs("a:b@h1:1, c:d@h2", 8332, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 2 || eps[0].Logged != "h1:1" || eps[1].Logged != "h2:8332" {
		t.Fatalf("got %+v", eps)
	}
	if _, err := ParseURLs("a:b@h1:1,,", 8332, false); err == nil {
		t.Fatal("empty entry accepted")
	}
	if _, err := ParseURLList(nil, 8332, false); err == nil {
		t.Fatal("empty list accepted")
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"u:p@127.0.0.1:8332", "http://u:p@[::1]/", "u@h", "@h:1", "u:p@h:99999", "a@b@c:1/"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, optional bool) {
		ep, err := ParseURL(s, 8332, optional)
		if err != nil {
			return
		}
		// A normalised URL parses to itself.
		again, err := ParseURL(ep.URL, 1, optional)
		if err != nil || again != ep {
			t.Fatalf("%q -> %+v, reparse -> %+v, %v", s, ep, again, err)
		}
		if !ep.HasAuth && !optional {
			t.Fatalf("%q accepted without credentials", s)
		}
	})
}
