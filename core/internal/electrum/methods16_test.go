package electrum

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

func TestBroadcastPackage(t *testing.T) {
	rejected := &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -25, DaemonMessage: "package topology disallowed"}
	tests := []struct {
		name   string
		params string
		result sdk.PackageResult
		err    error
		want   string // result JSON
		code   int
		msg    string
		sent   int64
	}{
		// session.py package_broadcast: "errors" only when non-empty; every
		// transaction of an accepted package counts as sent.
		{name: "accepted", params: `[["aa","bb"]]`, result: sdk.PackageResult{Success: true},
			want: `{"success":true}`, sent: 2},
		{name: "one rejected", params: `[["aa","bb"]]`,
			result: sdk.PackageResult{Errors: []sdk.PackageTxError{{Txid: "t2", Error: "min relay fee not met"}}},
			want:   `{"success":false,"errors":[{"txid":"t2","error":"min relay fee not met"}]}`, sent: 2},
		{name: "verbose", params: `{"raw_txs":["aa"],"verbose":true}`,
			result: sdk.PackageResult{Success: true, JSON: []byte(`{"package_msg":"success"}`)},
			want:   `{"package_msg":"success"}`, sent: 1},
		{name: "verbose truthy string", params: `[["aa"], "yes"]`,
			result: sdk.PackageResult{Success: true, JSON: []byte(`{"package_msg":"success"}`)},
			want:   `{"package_msg":"success"}`, sent: 1},
		{name: "verbose without daemon JSON", params: `[["aa"], 1]`, result: sdk.PackageResult{Success: true},
			want: `{"success":true}`, sent: 1},
		{name: "empty package", params: `[[]]`, result: sdk.PackageResult{Success: true}, want: `{"success":true}`},
		{name: "package refused", params: `[["aa","bb"]]`, err: rejected, code: jsonrpc.BadRequest,
			msg: "the tx package was rejected by network rules.\n\npackage topology disallowed."},
		{name: "daemon down", params: `[["aa"]]`, err: sdk.Errorf(sdk.KindUnavailable, "connection refused"),
			code: 2, msg: "daemon error: connection refused"},
		{name: "not a list", params: `["aa"]`, code: jsonrpc.BadRequest, msg: "aa should be a list"},
		{name: "object", params: `[{"a":1}]`, code: jsonrpc.BadRequest, msg: "{'a': 1} should be a list"},
		{name: "not strings", params: `[[1,2]]`, code: jsonrpc.BadRequest, msg: "1 should be a hex string"},
		{name: "odd hex", params: `[["aa","abc"]]`, code: jsonrpc.BadRequest, msg: "abc should be a hex string"},
		{name: "spaced hex", params: `[["aa bb"]]`, code: jsonrpc.BadRequest, msg: "aa bb should be a hex string"},
		{name: "missing", params: `[]`, code: jsonrpc.InvalidParams,
			msg: `0 arguments passed to method "blockchain.transaction.broadcast_package" but it requires 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, d := newPkgFixture(t)
			d.result, d.pkgErr = tc.result, tc.err
			s := negotiated(t, srv, "1.6")
			res, jerr := do(t, srv, s, "blockchain.transaction.broadcast_package", tc.params)
			if tc.want != "" {
				if jerr != nil || res != tc.want {
					t.Fatalf("got %s %+v, want %s", res, jerr, tc.want)
				}
			} else if jerr == nil || jerr.Code != tc.code || jerr.Message != tc.msg {
				t.Fatalf("got %s %+v, want %d %q", res, jerr, tc.code, tc.msg)
			}
			if got := srv.Stats().TxsSent.Load(); got != tc.sent {
				t.Errorf("txs sent %d, want %d", got, tc.sent)
			}
		})
	}
}

// TestBroadcastPackageOverWire: the Daemon is the SDK's gRPC client adapter
// in front of the sdktest fake, with and without the capability.
func TestBroadcastPackageOverWire(t *testing.T) {
	fake := sdktest.NewFake(2)
	fake.Rejects["bb"] = "bad-txns-inputs-missingorspent"
	srv, _, _ := newFixture(t)
	srv.daemon = sdktest.NewChain(t, fake)
	s := negotiated(t, srv, "1.6")
	res, jerr := do(t, srv, s, "blockchain.transaction.broadcast_package", `[["aa","bb"]]`)
	want := `{"success":false,"errors":[{"txid":"` + sdktest.DoubleSHA256([]byte{0xbb}).String() + `","error":"bad-txns-inputs-missingorspent"}]}`
	if jerr != nil || res != want {
		t.Fatalf("got %s %+v, want %s", res, jerr, want)
	}
	if len(fake.Sent) != 1 || fake.Sent[0] != "aa" {
		t.Errorf("sent %v", fake.Sent)
	}
	res, jerr = do(t, srv, s, "blockchain.transaction.broadcast_package", `[["aa"], true]`)
	var verbose struct {
		Msg string `json:"package_msg"`
	}
	if jerr != nil || json.Unmarshal([]byte(res), &verbose) != nil || verbose.Msg != "success" {
		t.Fatalf("verbose over the wire: %s %+v", res, jerr)
	}

	// A plugin that lacks the capability: the adapter reports
	// KindUnimplemented, which is a DAEMON_ERROR; mempool.get_info falls
	// back to the relay fee.
	srv, _, _ = newFixture(t)
	srv.daemon = sdktest.NewChain(t, struct{ sdk.ChainBackend }{sdktest.NewFake(2)})
	s = negotiated(t, srv, "1.6")
	_, jerr = do(t, srv, s, "blockchain.transaction.broadcast_package", `[["aa"]]`)
	if jerr == nil || jerr.Code != 2 || !strings.Contains(jerr.Message, "does not implement BroadcastPackage") {
		t.Fatalf("without the capability: %+v", jerr)
	}
	if res, jerr := do(t, srv, s, "mempool.get_info", `[]`); jerr != nil ||
		res != `{"mempoolminfee":0.00001,"minrelaytxfee":0.00001,"incrementalrelayfee":0.00001}` {
		t.Fatalf("get_info fallback over the wire: %s %+v", res, jerr)
	}

	// A Daemon that is not even a PackageBroadcaster.
	srv, _, _ = newFixture(t)
	_, jerr = do(t, srv, negotiated(t, srv, "1.6"), "blockchain.transaction.broadcast_package", `[["aa"]]`)
	if jerr == nil || jerr.Code != 2 || jerr.Message != "daemon error: the chain backend cannot broadcast packages" {
		t.Fatalf("plain daemon: %+v", jerr)
	}
}

// TestMempoolGetInfoCache runs in a synctest bubble: its clock moves only
// when the test sleeps.
func TestMempoolGetInfoCache(t *testing.T) { synctest.Test(t, testMempoolGetInfoCache) }

func testMempoolGetInfoCache(t *testing.T) {
	srv, _, d := newPkgFixture(t)
	s := negotiated(t, srv, "1.6")
	want := `{"mempoolminfee":0.00002,"minrelaytxfee":0.00001,"incrementalrelayfee":0.000005}`
	if res, jerr := do(t, srv, s, "mempool.get_info", `[]`); jerr != nil || res != want {
		t.Fatalf("get_info %s %+v", res, jerr)
	}
	d.info.MempoolMinFee = 0.0005
	time.Sleep(59 * time.Second)
	if res, _ := do(t, srv, s, "mempool.get_info", `[]`); res != want || d.infoCall != 1 {
		t.Fatalf("within 60 s: %s, %d daemon calls", res, d.infoCall)
	}
	time.Sleep(2 * time.Second)
	if res, _ := do(t, srv, s, "mempool.get_info", `[]`); !strings.Contains(res, `"mempoolminfee":0.0005,`) || d.infoCall != 2 {
		t.Fatalf("after 60 s: %s, %d daemon calls", res, d.infoCall)
	}
	if c := s.takeCost(); c != 3.0 {
		t.Errorf("cost %v, want 1.0 per call", c)
	}
	time.Sleep(time.Minute)
	d.infoErr = sdk.DaemonError(-1, "boom")
	if _, jerr := do(t, srv, s, "mempool.get_info", `[]`); jerr == nil || jerr.Code != 2 ||
		jerr.Message != "daemon error: DaemonError({'code': -1, 'message': 'boom'})" {
		t.Fatalf("daemon error: %+v", jerr)
	}
	d.infoErr = sdk.Errorf(sdk.KindUnimplemented, "no")
	if res, jerr := do(t, srv, s, "mempool.get_info", `[]`); jerr != nil ||
		res != `{"mempoolminfee":0.00001,"minrelaytxfee":0.00001,"incrementalrelayfee":0.00001}` {
		t.Fatalf("unimplemented falls back to the relay fee: %s %+v", res, jerr)
	}
}

// fakePeers records server.add_peer calls.
type fakePeers struct {
	list     [][]any
	features map[string]any
	remote   net.Addr
	accept   bool
}

func (p *fakePeers) PeersSubscribe() [][]any { return p.list }
func (p *fakePeers) AddPeer(_ context.Context, f map[string]any, remote net.Addr) bool {
	p.features, p.remote = f, remote
	return p.accept
}

func TestPeers(t *testing.T) {
	srv, _, _ := newFixture(t)
	s := &fakeSess{}
	if res, _ := do(t, srv, s, "server.peers.subscribe", `[]`); res != `[]` {
		t.Fatalf("without Peers: %s", res)
	}
	if res, _ := do(t, srv, s, "server.add_peer", `[{"hosts":{}}]`); res != `false` {
		t.Fatalf("add_peer without Peers: %s", res)
	}
	p := &fakePeers{accept: true, list: [][]any{{"127.0.0.1", "peer.example", []string{"v1.6", "s50002"}}}}
	srv.opts.Peers = p
	s.takeCost()
	if res, _ := do(t, srv, s, "server.peers.subscribe", `[]`); res != `[["127.0.0.1","peer.example",["v1.6","s50002"]]]` {
		t.Fatalf("peers: %s", res)
	}
	res, _ := do(t, srv, s, "server.add_peer", `{"features":{"hosts":{"peer.example":{"tcp_port":50001}},"genesis_hash":"00"}}`)
	if res != `true` || p.features["genesis_hash"] != "00" || p.remote == nil || p.remote.String() != "127.0.0.1:1" {
		t.Fatalf("add_peer: %s %v %v", res, p.features, p.remote)
	}
	if c := s.takeCost(); c != 101.0 {
		t.Errorf("cost %v, want 1 + 100", c)
	}
	p.features = nil
	if res, _ := do(t, srv, s, "server.add_peer", `[["not","an","object"]]`); res != `false` || p.features != nil {
		t.Fatalf("non-object features: %s (%v)", res, p.features)
	}
	p.list = nil
	if res, _ := do(t, srv, s, "server.peers.subscribe", `[]`); res != `[]` {
		t.Fatalf("nil list: %s", res)
	}
}

func FuzzDropExtra(f *testing.F) {
	for _, s := range []string{`[]`, `[1,2,3]`, `{"a":1,"x":2}`, `{"a":1}`, `null`, ``, `[1`, `{"a":}`, `"str"`} {
		f.Add(s)
	}
	names := []string{"a", "b"}
	f.Fuzz(func(t *testing.T, params string) {
		out := dropExtra(json.RawMessage(params), names)
		_, jerr := jsonrpc.BindParams("m", out, names, 0)
		if jerr == nil {
			return
		}
		if strings.Contains(jerr.Message, "taking at most") || strings.Contains(jerr.Message, "does not take") {
			t.Fatalf("dropExtra(%q) = %q still has extra arguments: %s", params, out, jerr.Message)
		}
		if json.Valid([]byte(params)) && !json.Valid(out) {
			t.Fatalf("dropExtra(%q) made invalid JSON %q", params, out)
		}
	})
}
