package peers

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

var testGenesis = sdk.Hash{1, 2, 3}

// fakeHeader is the deterministic header at height h of chain salt.
func fakeHeader(salt string, h int64) []byte {
	s := sha256.Sum256([]byte(salt + strconv.FormatInt(h, 10)))
	return append(s[:], make([]byte, 48)...)
}

// fakeIndex is our chain: height and the "ours" headers.
type fakeIndex struct{ height int64 }

func (f fakeIndex) Tip() (int64, sdk.Hash, []byte) {
	return f.height, sdk.Hash{}, fakeHeader("ours", f.height)
}
func (f fakeIndex) Headers(_ context.Context, start int64, count int) ([]byte, error) {
	if start > f.height || count != 1 {
		return nil, errors.New("out of range")
	}
	return fakeHeader("ours", start), nil
}

// fakePeer is an Electrum server on 127.0.0.1 answering the methods
// verification uses.
type fakePeer struct {
	t       *testing.T
	ln      net.Listener
	Port    int
	mu      sync.Mutex
	Genesis string
	Host    string // its own host name in features.hosts
	Height  int64
	Chain   string // header salt; "ours" = same chain as fakeIndex
	Peers   []any
	TLS     bool // served over TLS: features report ssl_port
	added   []map[string]any
	conns   []net.Conn
}

func startFakePeer(t *testing.T) *fakePeer { return startFakePeerOn(t, false) }

// startFakePeerOn starts a fake peer, over TLS with a fresh self-signed
// certificate when useTLS is set.
func startFakePeerOn(t *testing.T, useTLS bool) *fakePeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if useTLS {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
	}
	fp := &fakePeer{t: t, ln: ln, Port: ln.Addr().(*net.TCPAddr).Port, Genesis: testGenesis.String(),
		Host: "127.0.0.1", Height: 100, Chain: "ours", Peers: []any{}, TLS: useTLS}
	go fp.serve()
	t.Cleanup(fp.Close)
	return fp
}

func (fp *fakePeer) Close() {
	fp.ln.Close()
	fp.mu.Lock()
	for _, c := range fp.conns {
		c.Close()
	}
	fp.mu.Unlock()
}

func (fp *fakePeer) set(f func(*fakePeer)) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	f(fp)
}

func (fp *fakePeer) addedFeatures() []map[string]any {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return append([]map[string]any(nil), fp.added...)
}

func (fp *fakePeer) serve() {
	for {
		c, err := fp.ln.Accept()
		if err != nil {
			return
		}
		fp.mu.Lock()
		fp.conns = append(fp.conns, c)
		fp.mu.Unlock()
		go fp.handle(c)
	}
}

func (fp *fakePeer) handle(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	var wmu sync.Mutex
	for sc.Scan() {
		var req struct {
			ID     any    `json:"id"`
			Method string `json:"method"`
			Params []any  `json:"params"`
		}
		if json.Unmarshal(sc.Bytes(), &req) != nil {
			return
		}
		result, rerr := fp.answer(req.Method, req.Params)
		resp := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		if rerr != nil {
			resp["error"] = map[string]any{"code": 1, "message": rerr.Error()}
		} else {
			resp["result"] = result
		}
		b, _ := json.Marshal(resp)
		wmu.Lock()
		c.Write(append(b, '\n'))
		wmu.Unlock()
	}
}

func (fp *fakePeer) answer(method string, params []any) (any, error) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	switch method {
	case "server.version":
		return []any{"FakePeer 1.0", "1.4.2"}, nil
	case "server.features":
		ports := map[string]any{"tcp_port": fp.Port, "ssl_port": nil}
		if fp.TLS {
			ports = map[string]any{"ssl_port": fp.Port}
		}
		return map[string]any{
			"hosts":          map[string]any{fp.Host: ports},
			"genesis_hash":   fp.Genesis,
			"server_version": "FakePeer 1.0",
			"protocol_min":   "1.4",
			"protocol_max":   "1.4.2",
			"pruning":        nil,
			"hash_function":  "sha256",
		}, nil
	case "blockchain.headers.subscribe":
		return map[string]any{"height": fp.Height, "hex": hex.EncodeToString(fakeHeader(fp.Chain, fp.Height))}, nil
	case "blockchain.block.header":
		h, _ := params[0].(float64)
		return hex.EncodeToString(fakeHeader(fp.Chain, int64(h))), nil
	case "server.peers.subscribe":
		return fp.Peers, nil
	case "server.add_peer":
		f, _ := params[0].(map[string]any)
		fp.added = append(fp.added, f)
		return true, nil
	}
	return nil, fmt.Errorf("unknown method %s", method)
}

// fakeDialer connects host:port names through a table to 127.0.0.1
// addresses and reports a chosen remote IP; 127.0.0.1 addresses are
// dialled as they are; everything else is refused (tests never leave
// 127.0.0.1).
type fakeDialer struct {
	mu     sync.Mutex
	routes map[string]route
}

type route struct {
	target string // 127.0.0.1:port
	remote net.IP // what RemoteAddr reports (nil: the real one)
}

func newFakeDialer() *fakeDialer { return &fakeDialer{routes: map[string]route{}} }

func (d *fakeDialer) route(addr, target string, remote net.IP) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.routes[addr] = route{target, remote}
}

func (d *fakeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	r, ok := d.routes[addr]
	d.mu.Unlock()
	if host, _, _ := net.SplitHostPort(addr); !ok && host == "127.0.0.1" {
		r, ok = route{target: addr}, true
	}
	if !ok {
		return nil, fmt.Errorf("dial %s: unreachable (fake)", addr)
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, r.target)
	if err != nil || r.remote == nil {
		return c, err
	}
	return remoteConn{c, &net.TCPAddr{IP: r.remote, Port: c.RemoteAddr().(*net.TCPAddr).Port}}, nil
}

type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

// fakeResolver maps host names to addresses.
type fakeResolver map[string][]string

func (r fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// ourFeatures are the features of the server under test: identity
// 127.0.0.1 with TCP port port.
func ourFeatures(port int) func() map[string]any {
	return func() map[string]any {
		return FeaturesMap(map[string]any{
			"hosts":          map[string]any{"127.0.0.1": map[string]any{"tcp_port": port}},
			"genesis_hash":   testGenesis.String(),
			"server_version": "Amber test",
			"protocol_min":   "1.4",
			"protocol_max":   "1.4.2",
			"pruning":        nil,
			"hash_function":  "sha256",
		})
	}
}

// testManager returns a manager with fakes; opts fields left zero get
// test defaults. With run it runs until the test ends. Tests of the
// schedule call it inside a synctest bubble (and start their fake peers
// outside it: a goroutine waiting in Accept would keep the bubble's clock
// from moving).
func testManager(t *testing.T, opts Options, run bool) *Manager {
	t.Helper()
	if opts.Mode == "" {
		opts.Mode = "on"
	}
	if opts.Dialer == nil {
		opts.Dialer = newFakeDialer()
	}
	if opts.Resolver == nil {
		opts.Resolver = fakeResolver{}
	}
	if opts.Index == nil {
		opts.Index = fakeIndex{height: 100}
	}
	if opts.OurFeatures == nil {
		opts.OurFeatures = func() map[string]any { // no identities
			f := ourFeatures(0)()
			f["hosts"] = map[string]any{}
			return f
		}
	}
	opts.Genesis = testGenesis
	opts.RequestTimeout = 10 * time.Second
	m := New(opts)
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); m.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return m
}

// waitFor polls cond until it holds (failing after a generous guard).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// peerInfo returns the admin row of host with tcp port, if any.
func peerInfo(m *Manager, host string, tcp int) (PeerInfo, bool) {
	for _, p := range m.Peers() {
		if p.Host == host && p.Features["tcp_port"] == tcp {
			return p, true
		}
	}
	return PeerInfo{}, false
}

func seed(port int) string { return "127.0.0.1 t" + strconv.Itoa(port) }

func itoa(n int) string { return strconv.Itoa(n) }

// selfSigned makes a throwaway self-signed certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake peer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
