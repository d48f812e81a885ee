package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/internal/transport"
)

var quiet = slog.New(slog.DiscardHandler)

// fakeIndex answers from maps keyed by HashX.
type fakeIndex struct {
	mu      sync.Mutex
	status  index.Status
	hist    map[index.HashX][]index.Confirmed
	mem     map[index.HashX][]index.MempoolEntry
	utxos   map[index.HashX][]index.UTXO
	reorgs  []int
	failErr error
}

func (f *fakeIndex) Status() index.Status { f.mu.Lock(); defer f.mu.Unlock(); return f.status }

func (f *fakeIndex) History(_ context.Context, hx index.HashX, limit int) ([]index.Confirmed, []index.MempoolEntry, error) {
	if limit != 0 {
		return nil, nil, errors.New("admin must ask for the whole history")
	}
	return f.hist[hx], f.mem[hx], nil
}

func (f *fakeIndex) ListUnspent(_ context.Context, hx index.HashX) ([]index.UTXO, int, error) {
	return f.utxos[hx], len(f.utxos[hx]), nil
}

func (f *fakeIndex) Balance(_ context.Context, hx index.HashX) (int64, int64, int, error) {
	var c, u int64
	n := 0
	for _, x := range f.utxos[hx] {
		if x.Height > 0 {
			c += x.Value
			n++
		} else {
			u += x.Value
		}
	}
	return c, u, n, nil
}

func (f *fakeIndex) ForceReorg(_ context.Context, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failErr != nil {
		return f.failErr
	}
	f.reorgs = append(f.reorgs, n)
	return nil
}

// fakeSwitcher records SetDaemonURLs calls and rejects URLs without '@'
// like the bitcoind plugin.
type fakeSwitcher struct {
	mu   sync.Mutex
	urls [][]string
}

func (f *fakeSwitcher) SetDaemonURLs(_ context.Context, urls []string) error {
	for _, u := range urls {
		if !strings.Contains(u, "@") {
			return fmt.Errorf("daemon_url: invalid daemon URL: %q", strings.TrimSpace(u))
		}
	}
	f.mu.Lock()
	f.urls = append(f.urls, urls)
	f.mu.Unlock()
	return nil
}

type fakePeers struct {
	mu    sync.Mutex
	list  []PeerInfo
	added []string
}

func (f *fakePeers) Peers() []PeerInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PeerInfo(nil), f.list...)
}

func (f *fakePeers) AddPeer(_ context.Context, name string) error {
	f.mu.Lock()
	f.added = append(f.added, name)
	f.mu.Unlock()
	return nil
}

// clientDispatcher stands in for the Electrum layer: its handlers answer
// "server.version" by recording the client name, anything else with "ok".
type clientDispatcher struct{}

func (clientDispatcher) NewHandler(*session.Session) session.Handler { return &clientHandler{} }

type clientHandler struct {
	mu   sync.Mutex
	info session.Info
}

func (h *clientHandler) Notified(string) {}
func (h *clientHandler) Closed()         {}
func (h *clientHandler) Info() session.Info {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.info
}

func (h *clientHandler) Handle(_ context.Context, method string, params json.RawMessage) (any, error) {
	if method == "server.version" {
		var args []string
		_ = json.Unmarshal(params, &args)
		h.mu.Lock()
		if len(args) > 0 {
			h.info.Client = args[0]
		}
		h.info.Protocol = "1.4"
		h.mu.Unlock()
		return []string{"test", "1.4"}, nil
	}
	return "ok", nil
}

// rig is a session manager with an rpc:// listener served by the admin
// dispatcher and a tcp:// listener served by clientDispatcher, both real
// transport listeners on 127.0.0.1.
type rig struct {
	t        *testing.T
	mgr      *session.Manager
	admin    *Server
	ix       *fakeIndex
	sw       *fakeSwitcher
	peers    *fakePeers
	rpcAddr  string
	tcpAddr  string
	stopped  chan struct{}
	groupsFn func() []GroupInfo
}

func newRig(t *testing.T, mutate func(*Options)) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, mgr: session.NewManager(quiet), ix: &fakeIndex{status: index.Status{Synced: true, DBHeight: 120, DaemonHeight: 121, Commits: 7}},
		sw: &fakeSwitcher{}, peers: &fakePeers{}, stopped: make(chan struct{})}
	opts := Options{
		Version: "Amber test", Coin: "Bitcoin", Start: time.Now().Add(-3725 * time.Second),
		DaemonURL: "u:p@127.0.0.1:18443", Switcher: r.sw, Network: regtestNet(t),
		Index: r.ix, Sessions: r.mgr, Peers: r.peers,
		Groups: func() []GroupInfo {
			if r.groupsFn != nil {
				return r.groupsFn()
			}
			return nil
		},
		Stats: func() ClientStats {
			return ClientStats{RequestCounts: map[string]int64{"server.version": 2, "invalid method": 1},
				HistoryCache: CacheStats{Lookups: 1234567, Hits: 1000, Entries: 3}, TxsSent: 4,
				TxCache: TxCacheStats{Lookups: 50, Hits: 30, Coalesced: 5, Entries: 12, Bytes: 9000, LimitBytes: 32 << 20}}
		},
		Stop: func() { close(r.stopped) },
	}
	opts.Logger = quiet
	if mutate != nil {
		mutate(&opts)
	}
	r.admin = New(opts)
	rpc, err := transport.Listen(ctx, transport.Service{Proto: "rpc", Host: "127.0.0.1"}, transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := transport.Listen(ctx, transport.Service{Proto: "tcp", Host: "127.0.0.1"}, transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.rpcAddr, r.tcpAddr = rpc.Addr().String(), tcp.Addr().String()
	serve := func(l transport.Listener, d session.Factory, p session.Profile) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go r.mgr.Serve(ctx, c, d, p)
		}
	}
	go serve(rpc, r.admin, session.Profile{Concurrency: 20})
	go serve(tcp, clientDispatcher{}, session.Profile{Concurrency: 7})
	t.Cleanup(func() {
		rpc.Close()
		tcp.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = r.mgr.Shutdown(sctx)
		scancel()
		cancel()
	})
	return r
}

// conn is a line-oriented JSON-RPC 2.0 client.
type conn struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
	id int
}

func (r *rig) dial(addr string) *conn {
	r.t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return &conn{t: r.t, c: c, rd: bufio.NewReader(c)}
}

type rpcErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// call sends one request (params by name when a map, else positional) and
// returns the result or the error object.
func (c *conn) call(method string, params any) (json.RawMessage, *rpcErr) {
	c.t.Helper()
	c.id++
	msg := map[string]any{"jsonrpc": "2.0", "id": c.id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	req, _ := json.Marshal(msg)
	c.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.c.Write(append(req, '\n')); err != nil {
		c.t.Fatalf("%s: write: %v", method, err)
	}
	line, err := c.rd.ReadBytes('\n')
	if err != nil {
		c.t.Fatalf("%s: read: %v", method, err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcErr         `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		c.t.Fatalf("%s: bad reply %q: %v", method, line, err)
	}
	return resp.Result, resp.Error
}

// ok calls and decodes the result into v, failing on an error reply.
func (c *conn) ok(v any, method string, params any) {
	c.t.Helper()
	res, e := c.call(method, params)
	if e != nil {
		c.t.Fatalf("%s(%v): error %d %s", method, params, e.Code, e.Message)
	}
	if err := json.Unmarshal(res, v); err != nil {
		c.t.Fatalf("%s: decode %s: %v", method, res, err)
	}
}

// waitSessions waits until the manager has n sessions.
func (r *rig) waitSessions(n int) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.mgr.Count() != n {
		if time.Now().After(deadline) {
			r.t.Fatalf("%d sessions, want %d", r.mgr.Count(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
