package rpc

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handlerFunc answers one JSON-RPC request of the fake daemon.
type handlerFunc func(params []json.RawMessage) (any, *rpcError)

// fakeDaemon is an httptest JSON-RPC server that behaves like btcd: basic
// auth, "jsonrpc" member required, batches answered per item.
type fakeDaemon struct {
	srv      *httptest.Server
	mu       sync.Mutex
	user     string
	pass     string
	methods  map[string]handlerFunc
	reverse  bool                                      // answer batches in reverse order
	pre      func(w http.ResponseWriter, n int64) bool // may answer the HTTP request itself
	requests atomic.Int64                              // HTTP requests received
	bodies   []string
}

func newFake(t *testing.T) *fakeDaemon {
	t.Helper()
	f := &fakeDaemon{user: "u", pass: "p", methods: map[string]handlerFunc{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDaemon) handle(method string, h handlerFunc) {
	f.mu.Lock()
	f.methods[method] = h
	f.mu.Unlock()
}

func (f *fakeDaemon) setAuth(user, pass string) {
	f.mu.Lock()
	f.user, f.pass = user, pass
	f.mu.Unlock()
}

func (f *fakeDaemon) hostPort() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// endpoint returns an Endpoint with the given credentials.
func (f *fakeDaemon) endpoint(t *testing.T, creds string) Endpoint {
	t.Helper()
	ep, err := ParseURL(creds+"@"+f.hostPort(), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func (f *fakeDaemon) serve(w http.ResponseWriter, r *http.Request) {
	n := f.requests.Add(1)
	f.mu.Lock()
	pre, user, pass := f.pre, f.user, f.pass
	f.mu.Unlock()
	if pre != nil && pre(w, n) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
		http.Error(w, "401 Unauthorized.", http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
		var reqs []map[string]json.RawMessage
		if json.Unmarshal(body, &reqs) != nil {
			return
		}
		out := make([]any, len(reqs))
		for i, q := range reqs {
			out[i] = f.answer(q)
		}
		if f.reverse {
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var q map[string]json.RawMessage
	if json.Unmarshal(body, &q) != nil {
		return
	}
	if a := f.answer(q); a != nil {
		_ = json.NewEncoder(w).Encode(a)
	}
}

// answer builds the reply object for one request (nil: no answer, as btcd
// does without a jsonrpc member).
func (f *fakeDaemon) answer(q map[string]json.RawMessage) any {
	if _, ok := q["jsonrpc"]; !ok {
		return nil
	}
	var method string
	_ = json.Unmarshal(q["method"], &method)
	var params []json.RawMessage
	_ = json.Unmarshal(q["params"], &params)
	f.mu.Lock()
	h := f.methods[method]
	f.mu.Unlock()
	if h == nil {
		return map[string]any{"result": nil, "error": rpcError{-32601, "Method not found"}, "id": q["id"]}
	}
	res, e := h(params)
	if e != nil {
		return map[string]any{"result": nil, "error": e, "id": q["id"]}
	}
	return map[string]any{"result": res, "error": nil, "id": q["id"]}
}

// refusedAddr returns a 127.0.0.1 address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// fastOpts are client options with tiny retry delays for tests.
func fastOpts(urls ...Endpoint) Options {
	return Options{URLs: urls, InitialDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
		RequestTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
