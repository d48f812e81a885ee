package electrum

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// pkgDaemon is a fakeDaemon with the optional 1.6 capabilities.
type pkgDaemon struct {
	*fakeDaemon
	mu       sync.Mutex
	pkgErr   error
	result   sdk.PackageResult
	packages [][]string
	info     sdk.MempoolInfo
	infoErr  error
	infoCall int
}

func (d *pkgDaemon) BroadcastPackage(_ context.Context, raws []string) (sdk.PackageResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.packages = append(d.packages, raws)
	return d.result, d.pkgErr
}

func (d *pkgDaemon) MempoolInfo(context.Context) (sdk.MempoolInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.infoCall++
	return d.info, d.infoErr
}

// newPkgFixture is newFixture with a daemon that has both capabilities.
func newPkgFixture(t testing.TB) (*Server, *fakeIndex, *pkgDaemon) {
	srv, ix, d := newFixture(t)
	pd := &pkgDaemon{fakeDaemon: d,
		result: sdk.PackageResult{Success: true, JSON: []byte(`{"package_msg":"success","tx-results":{}}`)},
		info:   sdk.MempoolInfo{MempoolMinFee: 0.00002, MinRelayTxFee: 0.00001, IncrementalRelayFee: 0.000005}}
	srv.daemon = pd
	return srv, ix, pd
}

// negotiated returns a session that negotiated v with server.version as its
// first request (cost reset).
func negotiated(t testing.TB, srv *Server, v string) *fakeSess {
	t.Helper()
	s := &fakeSess{}
	res, jerr := do(t, srv, s, "server.version", `["test", "`+v+`"]`)
	if jerr != nil || res != `["Amber 0.1.0","`+v+`"]` {
		t.Fatalf("negotiating %s: %s %+v", v, res, jerr)
	}
	s.takeCost()
	return s
}

// TestVersionsGolden answers the requests whose behaviour depends on the
// protocol version as 1.4, 1.4.2 and 1.6 and compares the three answers
// (result or error, and cost) with testdata/golden/versions/<name>.txt.
func TestVersionsGolden(t *testing.T) {
	tests := []struct{ name, method, params string }{
		{"block_headers", "blockchain.block.headers", `[0, 3]`},
		{"block_headers_cp", "blockchain.block.headers", `{"start_height":2,"count":4,"cp_height":8}`},
		{"block_headers_past_tip", "blockchain.block.headers", `[100, 10]`},
		{"relayfee", "blockchain.relayfee", `[]`},
		{"estimatefee_mode", "blockchain.estimatefee", `[25, "ECONOMICAL"]`},
		{"unsubscribe", "blockchain.scripthash.unsubscribe", `[` + q(shA) + `]`},
		{"get_mempool", "blockchain.scripthash.get_mempool", `[` + q(shA) + `]`},
		{"ping_extra_arg", "server.ping", `[1, "x"]`},
		{"header_extra_named", "blockchain.block.header", `{"height":1,"foo":2}`},
		{"header_extra_positional", "blockchain.block.header", `[1, 0, "future"]`},
		{"broadcast_package", "blockchain.transaction.broadcast_package", `[["0100abcd","0200ef"]]`},
		{"broadcast_package_verbose", "blockchain.transaction.broadcast_package", `[["0100abcd"], true]`},
		{"mempool_get_info", "mempool.get_info", `[]`},
		{"features", "server.features", `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			for _, v := range []string{"1.4", "1.4.2", "1.6"} {
				srv, _, _ := newPkgFixture(t)
				s := negotiated(t, srv, v)
				res, jerr := do(t, srv, s, tc.method, tc.params)
				fmt.Fprintf(&out, "== %s %s %s\n", v, tc.method, tc.params)
				if jerr != nil {
					fmt.Fprintf(&out, "error %d %q\n", jerr.Code, jerr.Message)
				} else {
					var pretty bytes.Buffer
					if err := json.Indent(&pretty, []byte(res), "", " "); err != nil {
						t.Fatal(err)
					}
					out.WriteString(pretty.String() + "\n")
				}
				fmt.Fprintf(&out, "cost %.6f\n", s.takeCost())
			}
			path := filepath.Join("testdata", "golden", "versions", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if out.String() != string(want) {
				t.Errorf("got\n%s\nwant\n%s", out.String(), want)
			}
		})
	}
}

// TestVersionRules checks the rules golden files cannot show: the
// block.headers list is the hex split per header, 1.6 drops relayfee, and
// every method but server.version refuses extra arguments.
func TestVersionRules(t *testing.T) {
	srv, _, _ := newPkgFixture(t)
	s14, s16 := negotiated(t, srv, "1.4"), negotiated(t, srv, "1.6")
	old, _ := do(t, srv, s14, "blockchain.block.headers", `[1, 5]`)
	cur, _ := do(t, srv, s16, "blockchain.block.headers", `[1, 5]`)
	var r14 headersResult
	var r16 headersListResult
	if json.Unmarshal([]byte(old), &r14) != nil || json.Unmarshal([]byte(cur), &r16) != nil {
		t.Fatalf("decode %s / %s", old, cur)
	}
	if r16.Count != 5 || len(r16.Headers) != 5 || strings.Join(r16.Headers, "") != r14.Hex || strings.Contains(cur, `"hex"`) {
		t.Fatalf("1.6 headers %s do not split 1.4 hex %s", cur, old)
	}
	for _, h := range r16.Headers {
		if len(h) != 160 {
			t.Fatalf("header of %d hex characters", len(h))
		}
	}
	if _, jerr := do(t, srv, s16, "blockchain.relayfee", `[]`); jerr == nil || jerr.Code != jsonrpc.MethodNotFound {
		t.Errorf("relayfee in 1.6: %+v", jerr)
	}
	// Surplus arguments: only server.version takes them (in every
	// version); every other method answers aiorpcX's -32602.
	for name, m := range tableFor(Version{1, 6}).methods {
		extra := make([]string, len(m.names)+2)
		for i := range extra {
			extra[i] = `null`
		}
		params := "[" + strings.Join(extra, ",") + "]"
		if name == "server.version" {
			continue // TestVersionExtraArgs
		}
		_, jerr16 := do(t, srv, negotiated(t, srv, "1.6"), name, params)
		if jerr16 == nil || jerr16.Code != jsonrpc.InvalidParams {
			t.Errorf("1.6 %s accepts extra arguments: %+v", name, jerr16)
		}
		_, jerr14 := do(t, srv, negotiated(t, srv, "1.4.2"), name, params)
		if _, in142 := tableFor(Version{1, 4, 2}).methods[name]; in142 && (jerr14 == nil || jerr14.Code != jsonrpc.InvalidParams) {
			t.Errorf("1.4.2 %s accepts extra arguments: %+v", name, jerr14)
		}
	}
}

// TestVersionExtraArgs: server.version ignores surplus positional and
// named arguments whatever the version; the negotiated table follows.
func TestVersionExtraArgs(t *testing.T) {
	tests := []struct {
		name, version string
		want          string
	}{
		{"range", `["x",["1.4","1.6"]]`, "1.6"},
		{"electrum 4.3.4", `["electrum/4.3.4","1.4"]`, "1.4"},
		{"extra positional", `["x","1.6","future"]`, "1.6"},
		{"extra named", `{"client_name":"x","protocol_version":"1.6","future":1}`, "1.6"},
		{"extra named on 1.4", `{"client_name":"x","protocol_version":"1.4","future":1}`, "1.4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, _ := newPkgFixture(t)
			s := &fakeSess{fresh: true}
			res, jerr := do(t, srv, s, "server.version", tc.version)
			if jerr != nil || res != `["Amber 0.1.0","`+tc.want+`"]` {
				t.Fatalf("got %s %+v, want %s", res, jerr, tc.want)
			}
			_, jerr = do(t, srv, s, "mempool.get_info", `[]`)
			if has := jerr == nil; has != (tc.want == "1.6") {
				t.Errorf("mempool.get_info available = %v after negotiating %s (%+v)", has, tc.want, jerr)
			}
		})
	}
}

// TestRequestCountsAndSubscriptions: per-method counts with unknown methods
// (for the session's version) under "invalid method"; Subscriptions counts
// distinct script hashes.
func TestRequestCountsAndSubscriptions(t *testing.T) {
	srv, _, _ := newPkgFixture(t)
	s := &fakeSess{id: 7}
	do(t, srv, s, "server.version", `["x","1.4"]`)
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shMem)+`]`)
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	do(t, srv, s, "blockchain.relayfee", `[]`)
	do(t, srv, s, "mempool.get_info", `[]`)                  // not in 1.4
	do(t, srv, s, "blockchain.scripthash.unsubscribe", `[]`) // not in 1.4
	other := negotiated(t, srv, "1.6")
	do(t, srv, other, "blockchain.relayfee", `[]`) // gone in 1.6
	do(t, srv, other, "mempool.get_info", `[]`)
	got := srv.Stats().RequestCounts()
	want := map[string]int64{"server.version": 2, "blockchain.scripthash.subscribe": 3,
		"blockchain.relayfee": 1, "mempool.get_info": 1, invalidMethod: 3}
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("count[%q] = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	got["server.version"] = 100 // a copy
	if srv.Stats().RequestCounts()["server.version"] != 2 {
		t.Error("RequestCounts returned the live map")
	}
	if n := handlerOf(srv, s).Info().Subscriptions; n != 2 {
		t.Errorf("subscriptions = %d, want 2", n)
	}
	if n := handlerOf(srv, &fakeSess{id: 99}).Info().Subscriptions; n != 0 {
		t.Errorf("subscriptions of a new session = %d", n)
	}
	handlerOf(srv, s).Closed()
	if n := handlerOf(srv, s).Info().Subscriptions; n != 0 {
		t.Errorf("Subscriptions after Closed = %d", n)
	}
	// A handler that overran its deadline may finish after the session
	// closed: its subscription is dropped (a nil map once panicked here).
	if _, jerr := do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`); jerr != nil {
		t.Fatalf("subscribe after Closed: %+v", jerr)
	}
	if n := handlerOf(srv, s).Info().Subscriptions; n != 0 {
		t.Errorf("Subscriptions after a late subscribe = %d", n)
	}
}

func TestTable16(t *testing.T) {
	t142, t16 := tableFor(Version{1, 4, 2}), tableFor(Version{1, 6})
	if tableFor(Version{1, 5}) != t142 || tableFor(Version{1, 6, 1}) != t16 || t16 == t142 {
		t.Fatal("tableFor picks the wrong table around 1.6")
	}
	for _, name := range []string{"blockchain.transaction.broadcast_package", "mempool.get_info"} {
		if _, ok := t16.methods[name]; !ok {
			t.Errorf("1.6 lacks %s", name)
		}
		if _, ok := t142.methods[name]; ok {
			t.Errorf("1.4.2 has %s", name)
		}
	}
	if _, ok := t16.methods["blockchain.relayfee"]; ok {
		t.Error("1.6 has relayfee")
	}
	if len(t16.methods) != len(t142.methods)+1 {
		t.Errorf("1.6 should add two methods and drop one: %d vs %d", len(t16.methods), len(t142.methods))
	}
	if ProtocolMax.String() != "1.6.0" || ProtocolMin.String() != "1.4" {
		t.Errorf("range %s - %s", ProtocolMin, ProtocolMax)
	}
}
