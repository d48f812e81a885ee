package extmethods

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/sdk/hostside"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// pipeConn is an in-memory session.Conn.
type pipeConn struct {
	in, out chan []byte
	closed  chan struct{}
	once    sync.Once
}

func (c *pipeConn) ReadMessage(ctx context.Context) ([]byte, error) {
	select {
	case m, ok := <-c.in:
		if !ok {
			return nil, io.EOF
		}
		return m, nil
	case <-c.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *pipeConn) WriteMessage(_ context.Context, m []byte) error {
	select {
	case c.out <- append([]byte(nil), m...):
		return nil
	case <-c.closed:
		return net.ErrClosed
	}
}

func (c *pipeConn) Close() error         { c.once.Do(func() { close(c.closed) }); return nil }
func (c *pipeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5} }
func (c *pipeConn) Kind() string         { return "tcp" }

// core is the electrum server, recording the session it opened.
type core struct {
	*electrum.Server
	mu   sync.Mutex
	sess *session.Session
}

func (c *core) NewHandler(s *session.Session) session.Handler {
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	return c.Server.NewHandler(s)
}

type reply struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// serve runs a real session of disp over an in-memory connection and
// returns a function sending one request and reading its reply.
func serve(t *testing.T, disp session.Factory) func(method, params string) reply {
	conn := &pipeConn{in: make(chan []byte, 8), out: make(chan []byte, 8), closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	mgr := session.NewManager(nil)
	done := make(chan struct{})
	go func() { mgr.Serve(ctx, conn, disp, session.Profile{Concurrency: 1}); close(done) }()
	t.Cleanup(func() { cancel(); conn.Close(); <-done })
	id := 0
	return func(method, params string) reply {
		t.Helper()
		id++
		msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": json.RawMessage(params)})
		conn.in <- msg
		for {
			select {
			case m := <-conn.out:
				var r reply
				if err := json.Unmarshal(m, &r); err != nil {
					t.Fatalf("reply %s: %v", m, err)
				}
				if r.ID == nil {
					continue // a notification
				}
				return r
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no reply", method)
			}
			return reply{}
		}
	}
}

// TestThroughSession runs a real session of the electrum server with a
// plugin registered in its registry, over the real wire: results, arity
// and protocol errors, error codes from the kind table, cost, and the
// core methods next to the plugin's.
func TestThroughSession(t *testing.T) {
	inner := &core{Server: electrum.New(electrum.Options{ServerVersion: "Amber test"})}
	d := New(Options{Registry: inner.Registry()})
	if err := d.Register(t.Context(), "calc", sdktest.NewMethods(t, newCalc())); err != nil {
		t.Fatal(err)
	}

	// server.version comes first for plugin methods too.
	if r := serve(t, inner)("calc.echo", `[]`); r.Error == nil || r.Error.Code != jsonrpc.BadRequest || r.Error.Message != "use server.version to identify client" {
		t.Errorf("calc.echo before server.version: %s %+v", r.Result, r.Error)
	}

	send := serve(t, inner)
	tests := []struct {
		method, params string
		result         string
		code           int
		msg            string
	}{
		{method: "server.version", params: `["test", "1.4"]`, result: `["Amber test","1.4"]`},
		{method: "calc.new", params: `[]`, code: jsonrpc.MethodNotFound, msg: `unknown method "calc.new"`},
		{method: "calc.add", params: `[1, 2]`, result: `3`},
		{method: "calc.add", params: `{"a": 1, "b": 2, "c": 4}`, result: `7`},
		{method: "calc.add", params: `[1]`, code: jsonrpc.InvalidParams, msg: `1 argument passed to method "calc.add" but it requires 2`},
		{method: "calc.add", params: `[1, "x"]`, code: hostside.ElectrumBadRequest, msg: "argument 1 must be a number"},
		{method: "calc.echo", params: `[]`, result: `[]`},
		{method: "calc.fail", params: `[5]`, code: hostside.ElectrumDaemonError, msg: "calc failed"},
		{method: "calc.fail", params: `[0]`, code: jsonrpc.InternalError, msg: "internal server error"},
		{method: "server.ping", params: `[]`, result: `null`},
		{method: "other.method", params: `[]`, code: jsonrpc.MethodNotFound},
	}
	for _, tt := range tests {
		r := send(tt.method, tt.params)
		switch {
		case tt.code != 0 && (r.Error == nil || r.Error.Code != tt.code || (tt.msg != "" && r.Error.Message != tt.msg)):
			t.Errorf("%s %s: %s %+v; want error %d %q", tt.method, tt.params, r.Result, r.Error, tt.code, tt.msg)
		case tt.code == 0 && (r.Error != nil || string(r.Result) != tt.result):
			t.Errorf("%s %s: %s %+v; want %s", tt.method, tt.params, r.Result, r.Error, tt.result)
		}
	}

	// The plugin method's declared cost is charged.
	inner.mu.Lock()
	s := inner.sess
	inner.mu.Unlock()
	before := s.Cost()
	send("calc.add", `[1, 1]`)
	if got := s.Cost() - before; got < 2.5 {
		t.Errorf("calc.add charged %v, want at least its declared 2.5", got)
	}

	// A session at calc.new's minimum protocol sees it, with its session
	// info.
	send = serve(t, inner)
	send("server.version", `["test", "1.4.2"]`)
	if r := send("calc.new", `[]`); r.Error != nil || !strings.Contains(string(r.Result), `"Protocol":"1.4.2","RemoteAddr":"127.0.0.1:5"`) {
		t.Errorf("calc.new at 1.4.2: %s %+v", r.Result, r.Error)
	}
}
