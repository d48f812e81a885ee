package peers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/internal/peers"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg"
)

const chainLength = 20

// nodeIndex is a peers.Index reading a btcd node whose chain does not move
// during the test.
type nodeIndex struct {
	node   *regtest.Node
	height int64
}

func (ix nodeIndex) Tip() (int64, sdk.Hash, []byte) { return ix.height, sdk.Hash{}, nil }

func (ix nodeIndex) Headers(ctx context.Context, start int64, count int) ([]byte, error) {
	var out []byte
	for h := start; h < start+int64(count); h++ {
		hash, err := ix.node.GetBlockHash(ctx, h)
		if err != nil {
			return nil, err
		}
		b, err := ix.node.GetBlock(ctx, hash)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := b.Header.Serialize(&buf); err != nil {
			return nil, err
		}
		out = append(out, buf.Bytes()...)
	}
	return out, nil
}

// twoChains starts two independent regtest nodes mined to the same height
// with different coinbase addresses: same genesis, different headers.
func twoChains(t *testing.T) (same, other *regtest.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	same = harness.StartNode(t, regtest.NodeOptions{})
	addr, err := regtest.DeriveKey(77, 0, &chaincfg.RegressionNetParams).Address(regtest.P2PKH)
	if err != nil {
		t.Fatal(err)
	}
	other = harness.StartNode(t, regtest.NodeOptions{MiningAddr: addr.EncodeAddress()})
	for _, n := range []*regtest.Node{same, other} {
		if _, err := n.Generate(ctx, chainLength); err != nil {
			t.Fatalf("generate: %v", err)
		}
	}
	h1, _ := same.GetBlockHash(ctx, chainLength)
	h2, _ := other.GetBlockHash(ctx, chainLength)
	if h1 == h2 {
		t.Fatal("the two regtest chains are identical")
	}
	return same, other
}

// server is an amberd with peer discovery on, reporting
// tcp://127.0.0.1:<tcp> (the harness' own ports are replaced by ours so
// that REPORT_SERVICES can name the real port).
type server struct {
	*harness.Amberd
	tcp, rpc string
	port     int
}

func startServer(t *testing.T, node *regtest.Node, seeds []string, discovery string) *server {
	t.Helper()
	ports, err := regtest.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{tcp: "127.0.0.1:" + strconv.Itoa(ports[0]), rpc: "127.0.0.1:" + strconv.Itoa(ports[1]), port: ports[0]}
	s.Amberd = harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), Env: map[string]string{
		"SERVICES":           "tcp://" + s.tcp + ",rpc://" + s.rpc,
		"REPORT_SERVICES":    "tcp://" + s.tcp,
		"PEER_DISCOVERY":     discovery,
		"PEER_ANNOUNCE":      "", // off (ElectrumX names: any non-empty value is true); config refuses to announce a private IP
		"PEER_ALLOW_PRIVATE": "1",
		"AMBER_PEER_SEEDS":   strings.Join(seeds, ","),
		"TOR_PROXY_HOST":     "127.0.0.1", // proxy probing stays on 127.0.0.1
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.tcp)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.Done():
			t.Fatalf("amberd exited: %v\n%s", s.ExitErr(), s.Logs())
		case <-ctx.Done():
			t.Fatalf("amberd not serving on %s", s.tcp)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *server) realName() string { return "127.0.0.1 t" + strconv.Itoa(s.port) }

func call(t *testing.T, addr, method string, named map[string]any, positional ...any) json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := harness.DialContext(ctx, addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	var res json.RawMessage
	var rerr *harness.RPCError
	if named != nil {
		res, rerr = c.CallNamed(ctx, method, named)
	} else {
		res, rerr = c.Call(ctx, method, positional...)
	}
	if rerr != nil {
		t.Fatalf("%s on %s: %v", method, addr, rerr)
	}
	return res
}

// TestVerifiesRealServers runs a Manager in-process against real amberd
// processes: one on our chain is good and served, one on a chain with the
// same genesis but other headers is bad with the header reason. It needs
// no wiring of the peers package into amberd.
func TestVerifiesRealServers(t *testing.T) {
	same, other := twoChains(t)
	good := startServer(t, same, nil, "off")
	wrong := startServer(t, other, nil, "off")

	m := peers.New(peers.Options{
		Mode: "on", Seeds: []string{good.realName(), wrong.realName()}, AllowPrivate: true,
		Genesis: sdk.Hash(*chaincfg.RegressionNetParams.GenesisHash),
		Index:   nodeIndex{node: same, height: chainLength},
		Logger:  slog.New(slog.NewTextHandler(tWriter{t}, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	row := func(port int) (peers.PeerInfo, bool) {
		for _, p := range m.Peers() {
			if p.Features["tcp_port"] == port {
				return p, true
			}
		}
		return peers.PeerInfo{}, false
	}
	waitUntil(t, time.Minute, "both servers checked", func() bool {
		g, _ := row(good.port)
		w, _ := row(wrong.port)
		return g.Status != "never" && g.Status != "" && w.Status != "never" && w.Status != ""
	})
	g, _ := row(good.port)
	w, _ := row(wrong.port)
	if sv, _ := g.Features["server_version"].(string); g.Status != "good" || sv == "" {
		t.Errorf("server on our chain: %+v", g)
	}
	if w.Status != "bad" || !strings.Contains(w.Reason, "our header") {
		t.Errorf("server on the other chain: %+v", w)
	}
	var feats struct {
		ProtocolMax string `json:"protocol_max"`
	}
	if err := json.Unmarshal(call(t, good.tcp, "server.features", nil), &feats); err != nil {
		t.Fatal(err)
	}
	want := []any{"127.0.0.1", "127.0.0.1", []any{"v" + feats.ProtocolMax, "t" + strconv.Itoa(good.port)}}
	if got := m.PeersSubscribe(); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Errorf("PeersSubscribe = %v, want [%v]", got, want)
	}
}

// TestAcceptanceThreeServers is the acceptance test. IT PASSES
// ONLY ONCE core/server WIRES THIS PACKAGE INTO AMBERD (electrum
// server.peers.subscribe / server.add_peer and admin peers / add_peer,
// with PeerInfo.Reason exported as "reason").
//
// Three amberd on 127.0.0.1: A and B on one regtest node, C on another
// node whose chain has the same genesis but different headers. A is seeded
// with B and C; B learns A through admin add_peer. A and B list each other
// in server.peers.subscribe and admin peers; C is bad in A's admin peers
// with the header reason. A fake peer announces itself to A with
// server.add_peer and then lies about its genesis: it ends bad too.
func TestAcceptanceThreeServers(t *testing.T) {
	same, other := twoChains(t)
	b := startServer(t, same, nil, "on")
	c := startServer(t, other, nil, "off")
	a := startServer(t, same, []string{b.realName(), c.realName()}, "on")
	if got := string(call(t, b.rpc, "add_peer", map[string]any{"real_name": a.realName()})); got != `"peer '`+a.realName()+`' added"` {
		t.Errorf("admin add_peer on B = %s", got)
	}

	liarPort := peers.StartLyingPeer(t, strings.Repeat("5a", 32))
	genesis := sdk.Hash(*chaincfg.RegressionNetParams.GenesisHash).String()
	liar := map[string]any{
		"hosts":        map[string]any{"127.0.0.1": map[string]any{"tcp_port": liarPort}},
		"genesis_hash": genesis, // claims our chain; its server.features will say otherwise
		"protocol_min": "1.4", "protocol_max": "1.4.2", "server_version": "Liar 1.0",
	}
	if got := string(call(t, a.tcp, "server.add_peer", nil, liar)); got != "true" {
		t.Errorf("server.add_peer from the liar = %s, want true (tentative)", got)
	}

	type row struct {
		Host     string         `json:"host"`
		Features map[string]any `json:"features"`
		Status   string         `json:"status"`
		Reason   string         `json:"reason"`
	}
	adminPeers := func(s *server) map[int]row {
		var rows []row
		if err := json.Unmarshal(call(t, s.rpc, "peers", map[string]any{}), &rows); err != nil {
			t.Fatalf("admin peers: %v", err)
		}
		out := map[int]row{}
		for _, r := range rows {
			if p, ok := r.Features["tcp_port"].(float64); ok {
				out[int(p)] = r
			}
		}
		return out
	}
	entry := func(s *server) string {
		var f struct {
			ProtocolMax string `json:"protocol_max"`
		}
		if err := json.Unmarshal(call(t, s.tcp, "server.features", nil), &f); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf(`["127.0.0.1","127.0.0.1",["v%s","t%d"]]`, f.ProtocolMax, s.port)
	}
	served := func(s *server) []string {
		var list []json.RawMessage
		if err := json.Unmarshal(call(t, s.tcp, "server.peers.subscribe", nil), &list); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range list {
			out = append(out, string(e))
		}
		return out
	}

	waitUntil(t, 2*time.Minute, "A and B verify each other, C and the liar are rejected", func() bool {
		pa, pb := adminPeers(a), adminPeers(b)
		return pa[b.port].Status == "good" && pb[a.port].Status == "good" &&
			pa[c.port].Status == "bad" && pa[liarPort].Status == "bad"
	})
	pa, pb := adminPeers(a), adminPeers(b)
	if r := pa[c.port]; !strings.Contains(r.Reason, "our header") {
		t.Errorf("C in A's admin peers: %+v, want the header reason", r)
	}
	if r := pa[liarPort]; !strings.Contains(r.Reason, "incorrect genesis hash") {
		t.Errorf("liar in A's admin peers: %+v, want the genesis reason", r)
	}
	if r := pb[a.port]; r.Host != "127.0.0.1" {
		t.Errorf("A in B's admin peers: %+v", r)
	}
	sa, sb := served(a), served(b)
	if !slices.Contains(sa, entry(b)) || slices.Contains(sa, entry(c)) || slices.ContainsFunc(sa, func(e string) bool { return strings.Contains(e, "t"+strconv.Itoa(liarPort)) }) {
		t.Errorf("A serves %v; want B (%s), not C nor the liar", sa, entry(b))
	}
	if !slices.Contains(sb, entry(a)) {
		t.Errorf("B serves %v; want A (%s)", sb, entry(a))
	}
	var info struct {
		Peers map[string]int `json:"peers"`
	}
	if err := json.Unmarshal(call(t, a.rpc, "getinfo", map[string]any{}), &info); err != nil {
		t.Fatal(err)
	}
	if info.Peers["bad"] < 2 || info.Peers["good"] < 1 || info.Peers["total"] < 3 {
		t.Errorf("A getinfo peers = %v", info.Peers)
	}
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// tWriter sends log lines to t.Log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
