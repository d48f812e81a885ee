package electrum

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func q(s string) string { return `"` + s + `"` }

// TestMethodsGolden runs every method with valid parameters on a fresh
// fixture and compares the result and the cost charged with
// testdata/golden/<name>.json.
func TestMethodsGolden(t *testing.T) {
	tx1 := rep(0x22).String()
	big0 := dsha([]byte{5, 0}).String() // txid at position 5 of the 300-tx block 2
	tests := []struct {
		name, method, params string
	}{
		{"version_default", "server.version", ``},
		{"version_electrum", "server.version", `["electrum/4.3.4","1.4"]`},
		{"version_range", "server.version", `["x",["1.4","1.4.2"]]`},
		{"banner", "server.banner", `[]`},
		{"donation_address", "server.donation_address", `[]`},
		{"features", "server.features", `[]`},
		{"peers", "server.peers.subscribe", `[]`},
		{"add_peer", "server.add_peer", `[{}]`},
		{"ping", "server.ping", `[]`},
		{"headers_subscribe", "blockchain.headers.subscribe", `[]`},
		{"block_header", "blockchain.block.header", `[5]`},
		{"block_header_string_height", "blockchain.block.header", `["5"]`},
		{"block_header_cp", "blockchain.block.header", `[5, 8]`},
		{"block_headers", "blockchain.block.headers", `[0, 3]`},
		{"block_headers_beyond_tip", "blockchain.block.headers", `[7, 5000]`},
		{"block_headers_past_tip", "blockchain.block.headers", `[100, 10]`},
		{"block_headers_cp", "blockchain.block.headers", `{"start_height":2,"count":4,"cp_height":8}`},
		{"estimatefee", "blockchain.estimatefee", `[2]`},
		{"estimatefee_mode", "blockchain.estimatefee", `[25, "ECONOMICAL"]`},
		{"relayfee", "blockchain.relayfee", `[]`},
		{"get_balance", "blockchain.scripthash.get_balance", `[` + q(shA) + `]`},
		{"get_history", "blockchain.scripthash.get_history", `[` + q(shA) + `]`},
		{"get_history_empty", "blockchain.scripthash.get_history", `[` + q(shNone) + `]`},
		{"get_mempool", "blockchain.scripthash.get_mempool", `[` + q(shA) + `]`},
		{"listunspent", "blockchain.scripthash.listunspent", `[` + q(strings.ToUpper(shA)) + `]`},
		{"subscribe", "blockchain.scripthash.subscribe", `[` + q(shA) + `]`},
		{"subscribe_empty", "blockchain.scripthash.subscribe", `[` + q(shNone) + `]`},
		{"broadcast", "blockchain.transaction.broadcast", `["0100abcd"]`},
		{"transaction_get", "blockchain.transaction.get", `[` + q(tx1) + `]`},
		{"transaction_get_verbose", "blockchain.transaction.get", `[` + q(tx1) + `, true]`},
		{"get_merkle", "blockchain.transaction.get_merkle", `[` + q(tx1) + `, 1]`},
		{"get_merkle_big", "blockchain.transaction.get_merkle", `[` + q(big0) + `, 2]`},
		{"id_from_pos", "blockchain.transaction.id_from_pos", `[1, 2]`},
		{"id_from_pos_merkle", "blockchain.transaction.id_from_pos", `[1, 2, true]`},
		{"fee_histogram", "mempool.get_fee_histogram", `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, _ := newFixture(t)
			s := &fakeSess{}
			res, jerr := do(t, srv, s, tc.method, tc.params)
			if jerr != nil {
				t.Fatalf("error %d %q", jerr.Code, jerr.Message)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, []byte(res), "", " "); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s\ncost %.6f\n", pretty.String(), s.takeCost())
			path := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s %s:\ngot  %s\nwant %s", tc.method, tc.params, got, want)
			}
		})
	}
}

// TestMethodErrors checks every invalid-parameter and failure case against
// the spec's code and message.
func TestMethodErrors(t *testing.T) {
	tx1 := rep(0x22).String()
	bad := q(strings.Repeat("zz", 32))
	tests := []struct {
		name, method, params string
		code                 int
		msg                  string
	}{
		{"unknown", "blockchain.address.get_balance", `["x"]`, jsonrpc.MethodNotFound, `unknown method "blockchain.address.get_balance"`},
		{"removed get_chunk", "blockchain.block.get_chunk", `[0]`, jsonrpc.MethodNotFound, `unknown method "blockchain.block.get_chunk"`},
		{"unsubscribe before 1.4.2", "blockchain.scripthash.unsubscribe", `[` + q(shA) + `]`, jsonrpc.MethodNotFound, `unknown method "blockchain.scripthash.unsubscribe"`},
		{"arity", "blockchain.block.header", `[]`, jsonrpc.InvalidParams, `0 arguments passed to method "blockchain.block.header" but it requires 1`},
		{"too many", "server.ping", `[1]`, jsonrpc.InvalidParams, `1 argument passed to method server.ping taking at most 0`},
		{"height negative", "blockchain.block.header", `[-1]`, jsonrpc.BadRequest, `-1 should be a non-negative integer`},
		{"height garbage", "blockchain.block.header", `["abc"]`, jsonrpc.BadRequest, `abc should be a non-negative integer`},
		{"height null", "blockchain.block.header", `[null]`, jsonrpc.BadRequest, `None should be a non-negative integer`},
		{"height null", "blockchain.block.header", `[null]`, jsonrpc.BadRequest, `None should be a non-negative integer`},
		{"height negative float", "blockchain.block.header", `[-1.5]`, jsonrpc.BadRequest, `-1 should be a non-negative integer`},
		{"height float string", "blockchain.block.header", `["1.0"]`, jsonrpc.BadRequest, `1.0 should be a non-negative integer`},
		{"height infinite", "blockchain.block.header", `[1e999]`, jsonrpc.InternalError, `internal server error`},
		{"id_from_pos pos before height", "blockchain.transaction.id_from_pos", `["h", "p"]`, jsonrpc.BadRequest, `p should be a non-negative integer`},
		{"cp_height negative", "blockchain.block.header", `[1, -3]`, jsonrpc.BadRequest, `-3 should be a non-negative integer`},
		{"height out of range", "blockchain.block.header", `[1234567]`, jsonrpc.BadRequest, `height 1,234,567 out of range`},
		{"cp below height", "blockchain.block.header", `[5, 4]`, jsonrpc.BadRequest, `require header height 5 <= cp_height 4 <= chain height 8`},
		{"cp above tip", "blockchain.block.header", `[5, 9]`, jsonrpc.BadRequest, `require header height 5 <= cp_height 9 <= chain height 8`},
		{"headers count", "blockchain.block.headers", `[0, "x"]`, jsonrpc.BadRequest, `x should be a non-negative integer`},
		{"headers cp", "blockchain.block.headers", `[5, 2, 3]`, jsonrpc.BadRequest, `require header height 6 <= cp_height 3 <= chain height 8`},
		{"estimatefee mode", "blockchain.estimatefee", `[2, "fast"]`, jsonrpc.BadRequest, `unknown estimatefee mode: FAST`},
		{"estimatefee mode empty", "blockchain.estimatefee", `[2, ""]`, jsonrpc.BadRequest, `unknown estimatefee mode: `},
		{"estimatefee number", "blockchain.estimatefee", `[-2]`, jsonrpc.BadRequest, `-2 should be a non-negative integer`},
		{"scripthash short", "blockchain.scripthash.get_balance", `["abcd"]`, jsonrpc.BadRequest, `abcd is not a valid script hash`},
		{"scripthash nonhex", "blockchain.scripthash.get_history", `[` + bad + `]`, jsonrpc.BadRequest, strings.Repeat("zz", 32) + ` is not a valid script hash`},
		{"scripthash number", "blockchain.scripthash.subscribe", `[5]`, jsonrpc.BadRequest, `5 is not a valid script hash`},
		{"scripthash list", "blockchain.scripthash.listunspent", `[["a"]]`, jsonrpc.BadRequest, `['a'] is not a valid script hash`},
		{"history too large", "blockchain.scripthash.get_history", `[` + q(shBig) + `]`, jsonrpc.BadRequest, `history too large`},
		{"subscribe too large", "blockchain.scripthash.subscribe", `[` + q(shBig) + `]`, jsonrpc.BadRequest, `history too large`},
		{"tx hash", "blockchain.transaction.get", `["00"]`, jsonrpc.BadRequest, `00 should be a transaction hash`},
		{"verbose", "blockchain.transaction.get", `[` + q(tx1) + `, "yes"]`, jsonrpc.BadRequest, `"verbose" must be a boolean`},
		{"verbose 2", "blockchain.transaction.get", `[` + q(tx1) + `, 2]`, jsonrpc.BadRequest, `"verbose" must be a boolean`},
		{"merkle flag", "blockchain.transaction.id_from_pos", `[1, 0, null]`, jsonrpc.BadRequest, `"merkle" must be a boolean`},
		{"get_merkle tx", "blockchain.transaction.get_merkle", `[1, 1]`, jsonrpc.BadRequest, `1 should be a transaction hash`},
		{"get_merkle height", "blockchain.transaction.get_merkle", `[` + q(tx1) + `, -1]`, jsonrpc.BadRequest, `-1 should be a non-negative integer`},
		{"get_merkle above tip", "blockchain.transaction.get_merkle", `[` + q(tx1) + `, 1000]`, jsonrpc.BadRequest, `db error: DBError('block 1,000 not on disk (>8)')`},
		{"get_merkle not in block", "blockchain.transaction.get_merkle", `[` + q(strings.ToUpper(rep(0x44).String())) + `, 1]`, jsonrpc.BadRequest, `tx ` + strings.ToUpper(rep(0x44).String()) + ` not in block at height 1`},
		{"get_merkle genesis", "blockchain.transaction.get_merkle", `[` + q(tx1) + `, 0]`, jsonrpc.BadRequest, `tx ` + tx1 + ` not in block at height 0`},
		{"id_from_pos pos", "blockchain.transaction.id_from_pos", `[1, 3]`, jsonrpc.BadRequest, `no tx at position 3 in block at height 1`},
		{"id_from_pos above tip", "blockchain.transaction.id_from_pos", `[9, 0]`, jsonrpc.BadRequest, `db error: DBError('block 9 not on disk (>8)')`},
		{"unknown odd name", "a\"b\u00e9", `[]`, jsonrpc.MethodNotFound, "unknown method \"a\"b\u00e9\""},
		{"named unknown arg", "blockchain.block.header", `{"height":1,"foo":2}`, jsonrpc.InvalidParams, `method "blockchain.block.header" does not take parameter "foo"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, _ := newFixture(t)
			res, jerr := do(t, srv, &fakeSess{}, tc.method, tc.params)
			if jerr == nil {
				t.Fatalf("got result %s, want error %d %q", res, tc.code, tc.msg)
			}
			if jerr.Code != tc.code || jerr.Message != tc.msg {
				t.Errorf("got %d %q, want %d %q", jerr.Code, jerr.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestHistoryTooLargeCarriesCost(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	_, jerr := do(t, srv, s, "blockchain.scripthash.get_history", `[`+q(shBig)+`]`)
	if jerr == nil || jerr.Cost <= 0.1 {
		t.Fatalf("want error with miss cost, got %+v", jerr)
	}
	_, jerr = do(t, srv, s, "blockchain.scripthash.get_history", `[`+q(shBig)+`]`)
	if jerr == nil || jerr.Cost != 0.1 {
		t.Fatalf("cached too-large error: want cost 0.1, got %+v", jerr)
	}
	if ix.historyCalls != 1 {
		t.Errorf("too-large outcome not cached: %d index calls", ix.historyCalls)
	}
	if n := handlerOf(srv, s).Info().Subscriptions; n != 0 {
		t.Errorf("subscription stored")
	}
}

func TestDaemonErrors(t *testing.T) {
	tx1 := q(rep(0x22).String())
	tests := []struct {
		name, method, params string
		err                  error
		code                 int
		msg                  string
	}{
		{"get daemon", "blockchain.transaction.get", `[` + tx1 + `]`, sdk.DaemonError(-5, "No such mempool or blockchain transaction. Use gettransaction for wallet transactions."),
			2, `daemon error: DaemonError({'code': -5, 'message': 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.'})`},
		{"get unavailable", "blockchain.transaction.get", `[` + tx1 + `]`, sdk.Errorf(sdk.KindUnavailable, "connection refused"), 2, `daemon error: connection refused`},
		{"relayfee", "blockchain.relayfee", `[]`, sdk.DaemonError(-1, "x"), 2, `daemon error: DaemonError({'code': -1, 'message': 'x'})`},
		{"estimatefee", "blockchain.estimatefee", `[3]`, sdk.DaemonError(-8, "Invalid conf_target"), 2, `daemon error: DaemonError({'code': -8, 'message': 'Invalid conf_target'})`},
		{"banner", "server.banner", `[]`, sdk.Errorf(sdk.KindTimeout, "deadline"), 2, `daemon error: deadline`},
		{"broadcast", "blockchain.transaction.broadcast", `["00ff"]`, &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -26, DaemonMessage: "min relay fee not met"},
			1, "the transaction was rejected by network rules.\n\nmin relay fee not met\n[00ff]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, d := newFixture(t)
			d.err = tc.err
			_, jerr := do(t, srv, &fakeSess{}, tc.method, tc.params)
			if jerr == nil || jerr.Code != tc.code || jerr.Message != tc.msg {
				t.Fatalf("got %+v, want %d %q", jerr, tc.code, tc.msg)
			}
		})
	}
	srv, _, d := newFixture(t)
	d.err = sdk.Errorf(sdk.KindInternal, "boom")
	if _, err := ready(srv, &fakeSess{}).Handle(t.Context(), "blockchain.relayfee", nil); err == nil {
		t.Fatal("internal daemon error swallowed")
	} else if _, ok := err.(*jsonrpc.Error); ok {
		t.Fatalf("internal error became a client error: %v", err)
	}
}

func TestEstimateFeeCacheAndBucketing(t *testing.T) {
	srv, ix, d := newFixture(t)
	s := &fakeSess{}
	if res, _ := do(t, srv, s, "blockchain.estimatefee", `[15]`); res != "0.00012" {
		t.Fatalf("result %s", res)
	}
	if d.lastBlock != 14 || d.feeCalls != 1 {
		t.Fatalf("target 15 → daemon %d (calls %d), want 14", d.lastBlock, d.feeCalls)
	}
	if c := s.takeCost(); c != 2.1 {
		t.Errorf("miss cost %v, want 2.1", c)
	}
	do(t, srv, s, "blockchain.estimatefee", `[14]`)
	if d.feeCalls != 1 {
		t.Fatalf("same bucket not cached")
	}
	if c := s.takeCost(); c != 0.1 {
		t.Errorf("hit cost %v, want 0.1", c)
	}
	do(t, srv, s, "blockchain.estimatefee", `[14, "CONSERVATIVE"]`)
	if d.feeCalls != 2 || d.lastMode != "CONSERVATIVE" {
		t.Fatalf("mode is part of the key: calls %d mode %q", d.feeCalls, d.lastMode)
	}
	h, hash, hdr := ix.addBlock(1)
	srv.HandleEvent(eventOf(h, hash, hdr))
	do(t, srv, s, "blockchain.estimatefee", `[14]`)
	if d.feeCalls != 3 {
		t.Fatalf("cache survived a tip change")
	}
	d.fee = -1
	srv.HandleEvent(eventOf(ix.addBlock(2)))
	if res, _ := do(t, srv, s, "blockchain.estimatefee", `[14]`); res != "-1" {
		t.Fatalf("no estimate: got %s, want -1", res)
	}
	for _, tc := range []struct{ in, out int64 }{{0, 1}, {1, 1}, {2, 2}, {12, 12}, {13, 12}, {24, 24}, {25, 25}, {26, 26}, {27, 26}, {48, 48}, {49, 48}, {100, 96}, {1008, 1008}, {5000, 1008}} {
		if got := bucketTarget(tc.in); got != tc.out {
			t.Errorf("bucket(%d) = %d, want %d", tc.in, got, tc.out)
		}
	}
}

func TestMerkleCosts(t *testing.T) {
	srv, ix, _ := newFixture(t)
	s := &fakeSess{}
	tx := q(dsha([]byte{5, 0}).String())
	do(t, srv, s, "blockchain.transaction.get_merkle", `[`+tx+`, 2]`)
	cold := s.takeCost()
	if want := 0.25 + 0.0001*300 + 300.0/2500; !near(cold, want) {
		t.Errorf("cold cost %v, want %v", cold, want)
	}
	do(t, srv, s, "blockchain.transaction.get_merkle", `[`+tx+`, 2]`)
	if warm := s.takeCost(); !near(warm, 0.1+10*17.320508075688775/2500) {
		t.Errorf("warm cost %v", warm)
	}
	if ix.txidCalls != 1 {
		t.Errorf("txids not cached: %d calls", ix.txidCalls)
	}
	do(t, srv, s, "blockchain.transaction.id_from_pos", `[2, 5]`)
	if c := s.takeCost(); c != 0.1 {
		t.Errorf("id_from_pos without merkle cost %v, want 0.1", c)
	}
	srv.HandleEvent(reorgEvent(ix))
	do(t, srv, s, "blockchain.transaction.id_from_pos", `[2, 5]`)
	if ix.txidCalls != 2 {
		t.Errorf("reorg did not clear the txid cache")
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestBannerFallbacks(t *testing.T) {
	srv, _, _ := newFixture(t)
	srv.opts.Banner.File = "/db/missing.txt"
	srv.ReloadBanner()
	if res, _ := do(t, srv, &fakeSess{}, "server.banner", `[]`); res != `"You are connected to an Amber 0.1.0 server."` {
		t.Errorf("missing file: %s", res)
	}
	srv.opts.Banner.File = ""
	srv.ReloadBanner()
	if res, _ := do(t, srv, &fakeSess{}, "server.banner", `[]`); res != `"You are connected to an Amber 0.1.0 server."` {
		t.Errorf("no file: %s", res)
	}
}

func TestUnsubscribe(t *testing.T) {
	srv, _, _ := newFixture(t)
	s := &fakeSess{}
	if _, jerr := do(t, srv, s, "server.version", `["w", "1.4.2"]`); jerr != nil {
		t.Fatal(jerr)
	}
	if res, _ := do(t, srv, s, "blockchain.scripthash.unsubscribe", `[`+q(shA)+`]`); res != "false" {
		t.Errorf("unsubscribe without subscription: %s", res)
	}
	do(t, srv, s, "blockchain.scripthash.subscribe", `[`+q(shA)+`]`)
	s.takeCost()
	if res, _ := do(t, srv, s, "blockchain.scripthash.unsubscribe", `[`+q(shA)+`]`); res != "true" {
		t.Errorf("unsubscribe: %s", res)
	}
	if c := s.takeCost(); c != 0.1 {
		t.Errorf("cost %v", c)
	}
}

// TestRelayFeeCache runs in a synctest bubble: its clock moves only when
// the test sleeps.
func TestRelayFeeCache(t *testing.T) { synctest.Test(t, testRelayFeeCache) }

func testRelayFeeCache(t *testing.T) {
	srv, _, d := newFixture(t)
	s := &fakeSess{}
	if res, _ := do(t, srv, s, "blockchain.relayfee", `[]`); res != "0.00001" {
		t.Fatalf("relayfee %s", res)
	}
	d.err = sdk.DaemonError(-1, "down") // a cached answer needs no daemon
	time.Sleep(59 * time.Second)
	if res, jerr := do(t, srv, s, "blockchain.relayfee", `[]`); jerr != nil || res != "0.00001" {
		t.Fatalf("cached relayfee: %s %+v", res, jerr)
	}
	time.Sleep(2 * time.Second)
	if _, jerr := do(t, srv, s, "blockchain.relayfee", `[]`); jerr == nil || jerr.Code != 2 {
		t.Fatalf("expired cache must ask the daemon: %+v", jerr)
	}
	if c := s.takeCost(); c != 3.0 {
		t.Errorf("cost %v, want 1.0 per call", c)
	}
}
