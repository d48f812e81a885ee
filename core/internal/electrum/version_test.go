package electrum

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

func TestServerVersionNegotiation(t *testing.T) {
	tests := []struct {
		params      string
		want        string // negotiated version, "" for failure
		msg         string // failure message
		unsubscribe bool   // blockchain.scripthash.unsubscribe available afterwards
	}{
		{``, "1.4", "", false},
		{`[]`, "1.4", "", false},
		{`["electrum/4.3.4","1.4"]`, "1.4", "", false},
		{`{"client_name":"electrum/4.3.4","protocol_version":"1.4"}`, "1.4", "", false},
		{`["x",["1.4","1.4.2"]]`, "1.4.2", "", true},
		{`["x","1.4.1"]`, "1.4.1", "", false},
		{`["x","1.4.0"]`, "1.4.0", "", false},
		{`["x","1.5"]`, "1.5", "", true},
		{`["x",["1.4","1.5"]]`, "1.5", "", true},
		{`["x",["1.3","1.4"]]`, "1.4", "", false},
		{`["x",null]`, "1.4", "", false},
		{`["x","1.3"]`, "", "unsupported protocol version: 1.3", false},
		{`["x",["1.5","1.6"]]`, "1.6", "", true},
		{`["x","1.6"]`, "1.6", "", true},
		{`["x","1.6.0"]`, "1.6.0", "", true},
		{`["x",["1.4","1.7"]]`, "1.6.0", "", true},
		{`["x",["1.4","1.6.1"]]`, "1.6.0", "", true},
		{`["x",[" 1.4 ","1 . 5"]]`, "1.5", "", true},
		{`["x",["1.4","1_0.0"]]`, "1.6.0", "", true},
		{`["x",["1.4.3","1.5.9"]]`, "1.5.9", "", true},
		{`["x",["1.5","1.5.9"]]`, "1.5.9", "", true},
		{`["x","1.7"]`, "", "unsupported protocol version: 1.7", false},
		{`["x",1.4]`, "", "unsupported protocol version: 1.4", false},
		{`["x",["1.4"]]`, "", "unsupported protocol version: ['1.4']", false},
		{`["x",["1.4","1.4","1.4"]]`, "", "unsupported protocol version: ['1.4', '1.4', '1.4']", false},
		{`["x","garbage"]`, "", "unsupported protocol version: garbage", false},
		{`["x",""]`, "", "unsupported protocol version: ", false},
		{`["x","0"]`, "", "unsupported protocol version: 0", false},
	}
	for _, tc := range tests {
		t.Run(tc.params, func(t *testing.T) {
			srv, _, _ := newFixture(t)
			s := &fakeSess{}
			res, jerr := do(t, srv, s, "server.version", tc.params)
			if tc.want == "" {
				if jerr == nil || jerr.Code != jsonrpc.BadRequest || jerr.Message != tc.msg {
					t.Fatalf("got %s %+v, want error %q", res, jerr, tc.msg)
				}
				if !s.closeAfter {
					t.Errorf("session not closed after unsupported version")
				}
				return
			}
			if jerr != nil {
				t.Fatalf("error %+v", jerr)
			}
			var got []string
			if err := json.Unmarshal([]byte(res), &got); err != nil || len(got) != 2 || got[0] != "Amber 0.1.0" || got[1] != tc.want {
				t.Fatalf("result %s, want [Amber 0.1.0 %s]", res, tc.want)
			}
			if p := handlerOf(srv, s).Info().Protocol; p != tc.want || s.closeAfter {
				t.Errorf("protocol %q closeAfter %v", p, s.closeAfter)
			}
			_, jerr = do(t, srv, s, "blockchain.scripthash.unsubscribe", `[`+q(shA)+`]`)
			if has := jerr == nil; has != tc.unsubscribe {
				t.Errorf("unsubscribe available = %v, want %v (%+v)", has, tc.unsubscribe, jerr)
			}
			_, jerr = do(t, srv, s, "server.version", tc.params)
			if jerr == nil || jerr.Message != "server.version already sent" {
				t.Errorf("second call: %+v", jerr)
			}
		})
	}
}

func TestServerVersionClient(t *testing.T) {
	srv, _, _ := newFixture(t)
	srv.opts.DropClient = regexp.MustCompile(`bad|evil`)
	s := &fakeSess{}
	do(t, srv, s, "server.version", `["electrum/4.3.4-with-a-long-suffix","1.4"]`)
	if c := handlerOf(srv, s).Info().Client; c != "electrum/4.3.4-wi" {
		t.Errorf("client label %q, want the first 17 characters", c)
	}
	s = &fakeSess{}
	_, jerr := do(t, srv, s, "server.version", `["badclient 1.0","1.4"]`)
	if jerr == nil || jerr.Message != "unsupported client: badclient 1.0" || !s.closeAfter {
		t.Errorf("drop client: %+v close %v", jerr, s.closeAfter)
	}
	s = &fakeSess{}
	if _, jerr := do(t, srv, s, "server.version", `["not-evil","1.4"]`); jerr != nil {
		t.Errorf("DROP_CLIENT must match at the start only: %+v", jerr)
	}
	s = &fakeSess{}
	do(t, srv, s, "server.version", `[5,"1.4"]`)
	if c := handlerOf(srv, s).Info().Client; c != "5" {
		t.Errorf("numeric client name: %q", c)
	}
}

// TestVersionFirst: any message but server.version first gets the two
// old-client notifications, BAD_REQUEST and a close (session.py
// handle_request, ElectrumX 1.19+), known method or not.
func TestVersionFirst(t *testing.T) {
	for _, method := range []string{"server.ping", "blockchain.headers.subscribe", "no.such.method", "blockchain.relayfee"} {
		srv, _, _ := newFixture(t)
		s := &fakeSess{fresh: true}
		_, jerr := do(t, srv, s, method, `[]`)
		if jerr == nil || jerr.Code != jsonrpc.BadRequest || jerr.Message != "use server.version to identify client" || !s.closeAfter {
			t.Fatalf("%s first: %+v close %v", method, jerr, s.closeAfter)
		}
		if want := []string{"blockchain.relayfee null", "blockchain.estimatefee null"}; !slices.Equal(s.notes, want) {
			t.Errorf("%s first: notifications %q, want %q", method, s.notes, want)
		}
		if n := srv.Stats().RequestCounts(); len(n) != 0 {
			t.Errorf("refused request counted: %v", n)
		}
	}
	// A notification first is refused the same way (never answered).
	srv, _, _ := newFixture(t)
	s := &fakeSess{fresh: true}
	handlerOf(srv, s).Notified("server.ping")
	if !s.closeAfter || len(s.notes) != 2 {
		t.Errorf("notification first: close %v notes %q", s.closeAfter, s.notes)
	}
	// After server.version, an empty client name included, requests run.
	s = &fakeSess{fresh: true}
	if _, jerr := do(t, srv, s, "server.version", `["", "1.4"]`); jerr != nil {
		t.Fatal(jerr)
	}
	if _, jerr := do(t, srv, s, "server.ping", `[]`); jerr != nil || s.closeAfter {
		t.Errorf("after server.version: %+v close %v", jerr, s.closeAfter)
	}
	handlerOf(srv, s).Notified("x")
	if s.closeAfter || srv.Stats().RequestCounts()[invalidMethod] != 1 {
		t.Errorf("notification after server.version: close %v counts %v", s.closeAfter, srv.Stats().RequestCounts())
	}
}

// TestRefusedSessionRunsNothingMore: once a message before server.version
// has closed the session, the rest of what it sent (the later items of a
// batch) runs nothing, not even a server.version that would negotiate and
// let a plugin method through, and the refusal's notifications go out once.
func TestRefusedSessionRunsNothingMore(t *testing.T) {
	srv, _, _ := newFixture(t)
	s := &fakeSess{fresh: true}
	for i, tc := range []struct{ method, params string }{
		{"server.ping", `[]`},
		{"server.version", `["x", "1.4"]`},
		{"server.ping", `[]`},
		{"blockchain.headers.subscribe", `[]`},
	} {
		if _, jerr := do(t, srv, s, tc.method, tc.params); jerr == nil || jerr.Code != jsonrpc.BadRequest {
			t.Errorf("item %d %s: %+v, want BAD_REQUEST", i, tc.method, jerr)
		}
	}
	handlerOf(srv, s).Notified("server.ping")
	if want := []string{"blockchain.relayfee null", "blockchain.estimatefee null"}; !slices.Equal(s.notes, want) {
		t.Errorf("notifications %q, want one pair %q", s.notes, want)
	}
	if n := srv.Stats().RequestCounts(); len(n) != 0 {
		t.Errorf("refused requests counted: %v", n)
	}
}

// TestCrashOldClient: an unsupported version from Electrum <= 3.2.3 gets the
// old-client notifications before the refusal (maybe_crash_old_client).
func TestCrashOldClient(t *testing.T) {
	for _, tc := range []struct {
		params string
		notes  int
	}{
		{`["3.2.3","1.2"]`, 2},
		{`["3.2.4","1.2"]`, 0},
		{`["electrum/3.0","1.2"]`, 0},
		{`["3.0","1.4"]`, 0},
	} {
		srv, _, _ := newFixture(t)
		s := &fakeSess{fresh: true}
		do(t, srv, s, "server.version", tc.params)
		if len(s.notes) != tc.notes {
			t.Errorf("%s: notes %q, want %d", tc.params, s.notes, tc.notes)
		}
	}
}

func TestVersionCompareAndString(t *testing.T) {
	order := []string{"0", "1", "1.3", "1.4", "1.4.0", "1.4.1", "1.4.2", "1.5", "2"}
	for i := range order {
		for j := range order {
			got := ParseVersion(order[i]).Compare(ParseVersion(order[j]))
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	for in, want := range map[string]string{"1": "1.0", "1.4": "1.4", "1.4.2": "1.4.2", " 1 . 4 ": "1.4", "1.x": "0.0"} {
		if got := ParseVersion(in).String(); got != want {
			t.Errorf("ParseVersion(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTables(t *testing.T) {
	t14, t142 := tableFor(Version{1, 4}), tableFor(Version{1, 4, 2})
	if _, ok := t14.methods["blockchain.scripthash.unsubscribe"]; ok {
		t.Error("1.4 table has unsubscribe")
	}
	if _, ok := t142.methods["blockchain.scripthash.unsubscribe"]; !ok {
		t.Error("1.4.2 table lacks unsubscribe")
	}
	if tableFor(Version{1, 4, 1}) != t14 || tableFor(Version{1, 4, 3}) != t142 {
		t.Error("tableFor picks the wrong table")
	}
	if len(t142.methods) != len(t14.methods)+1 {
		t.Errorf("1.4.2 should add exactly one method: %d vs %d", len(t142.methods), len(t14.methods))
	}
	for name := range t14.methods {
		if strings.HasPrefix(name, "blockchain.address.") || name == "blockchain.block.get_header" ||
			name == "blockchain.numblocks.subscribe" || name == "blockchain.utxo.get_address" {
			t.Errorf("removed method %s registered", name)
		}
	}
}
