// Package fakedaemon is an in-process fake of a Bitcoin Core-compatible
// JSON-RPC daemon for tests: an httptest server that behaves like btcd
// (basic auth, "jsonrpc" member required, batches answered per item).
package fakedaemon

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Error is a JSON-RPC error object.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Handler answers one call; params are the request's raw parameters.
type Handler func(params []json.RawMessage) (any, *Error)

// Constant returns a Handler that always answers v.
func Constant(v any) Handler {
	return func([]json.RawMessage) (any, *Error) { return v, nil }
}

// Fail returns a Handler that always fails with code and message.
func Fail(code int, message string) Handler {
	return func([]json.RawMessage) (any, *Error) { return nil, &Error{code, message} }
}

// Daemon is the fake. Unknown methods answer -32601.
type Daemon struct {
	srv      *httptest.Server
	mu       sync.Mutex
	user     string
	pass     string
	methods  map[string]Handler
	reverse  bool
	pre      func(w http.ResponseWriter, n int64) bool
	requests atomic.Int64
	bodies   []string
}

// New starts a fake with credentials u:p on 127.0.0.1, closed at the end of
// the test.
func New(t testing.TB) *Daemon {
	t.Helper()
	d := &Daemon{user: "u", pass: "p", methods: map[string]Handler{}}
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

// Handle sets the handler of method.
func (d *Daemon) Handle(method string, h Handler) {
	d.mu.Lock()
	d.methods[method] = h
	d.mu.Unlock()
}

// SetAuth changes the expected basic-auth credentials.
func (d *Daemon) SetAuth(user, pass string) {
	d.mu.Lock()
	d.user, d.pass = user, pass
	d.mu.Unlock()
}

// SetReverse makes batch replies come in reverse order.
func (d *Daemon) SetReverse(v bool) {
	d.mu.Lock()
	d.reverse = v
	d.mu.Unlock()
}

// SetPre installs a hook called first with the 1-based HTTP request number;
// when it returns true it has answered the request itself.
func (d *Daemon) SetPre(pre func(w http.ResponseWriter, n int64) bool) {
	d.mu.Lock()
	d.pre = pre
	d.mu.Unlock()
}

// HostPort is the fake's "127.0.0.1:port".
func (d *Daemon) HostPort() string { return strings.TrimPrefix(d.srv.URL, "http://") }

// URL is "u:p@127.0.0.1:port" with the default credentials.
func (d *Daemon) URL() string { return "u:p@" + d.HostPort() }

// Requests is the number of HTTP requests received so far.
func (d *Daemon) Requests() int64 { return d.requests.Load() }

// Bodies returns the request bodies that passed authentication.
func (d *Daemon) Bodies() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.bodies...)
}

func (d *Daemon) serve(w http.ResponseWriter, r *http.Request) {
	n := d.requests.Add(1)
	d.mu.Lock()
	pre, user, pass, reverse := d.pre, d.user, d.pass, d.reverse
	d.mu.Unlock()
	if pre != nil && pre(w, n) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
		http.Error(w, "401 Unauthorized.", http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	d.bodies = append(d.bodies, string(body))
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
		var reqs []map[string]json.RawMessage
		if json.Unmarshal(body, &reqs) != nil {
			return
		}
		out := make([]any, len(reqs))
		for i, q := range reqs {
			out[i] = d.answer(q)
		}
		if reverse {
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
	if a := d.answer(q); a != nil {
		_ = json.NewEncoder(w).Encode(a)
	}
}

// answer builds the reply object for one request (nil: no answer, as btcd
// does without a jsonrpc member).
func (d *Daemon) answer(q map[string]json.RawMessage) any {
	if _, ok := q["jsonrpc"]; !ok {
		return nil
	}
	var method string
	_ = json.Unmarshal(q["method"], &method)
	var params []json.RawMessage
	_ = json.Unmarshal(q["params"], &params)
	d.mu.Lock()
	h := d.methods[method]
	d.mu.Unlock()
	if h == nil {
		return map[string]any{"result": nil, "error": Error{-32601, "Method not found"}, "id": q["id"]}
	}
	res, e := h(params)
	if e != nil {
		return map[string]any{"result": nil, "error": e, "id": q["id"]}
	}
	return map[string]any{"result": res, "error": nil, "id": q["id"]}
}

// RefusedAddr returns a 127.0.0.1 address nothing listens on.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
