package extmethods

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/sdk"
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

// core is a stand-in for the electrum dispatcher: server.version sets the
// protocol, server.ping answers null, everything else is unknown.
type core struct {
	mu   sync.Mutex
	sess *session.Session
}

func (c *core) Opened(s *session.Session) { c.mu.Lock(); c.sess = s; c.mu.Unlock() }
func (c *core) Closed(*session.Session)   {}
func (c *core) Dispatch(_ context.Context, s *session.Session, method string, params json.RawMessage) (any, error) {
	switch method {
	case "server.version":
		var p []string
		_ = json.Unmarshal(params, &p)
		s.SetProtocol(p[1])
		return []string{"Amber test", p[1]}, nil
	case "server.ping":
		return nil, nil
	}
	return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, `unknown method "%s"`, method)
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestThroughSession runs a real session whose dispatcher routes to a
// plugin over the real wire: results, arity and protocol errors, error
// codes from the kind table, cost, and fall-through to the core.
func TestThroughSession(t *testing.T) {
	inner := &core{}
	gated := 0
	d := New(Options{Inner: inner, CoreMethods: []string{"server.version", "server.ping"},
		Gate: func(s *session.Session, method string) error {
			if method == "calc.echo" && s.Protocol() == "" {
				gated++
				return jsonrpc.Errorf(jsonrpc.BadRequest, "use server.version to identify client")
			}
			return nil
		}})
	if err := d.Register(t.Context(), "calc", sdktest.NewMethods(t, newCalc())); err != nil {
		t.Fatal(err)
	}
	conn := &pipeConn{in: make(chan []byte, 8), out: make(chan []byte, 8), closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	mgr := session.NewManager(nil)
	done := make(chan struct{})
	go func() { mgr.Serve(ctx, conn, d, session.Profile{Concurrency: 1}); close(done) }()
	t.Cleanup(func() { cancel(); conn.Close(); <-done })

	id := 0
	send := func(method, params string) reply {
		t.Helper()
		id++
		msg, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": json.RawMessage(params)})
		conn.in <- msg
		select {
		case m := <-conn.out:
			var r reply
			if err := json.Unmarshal(m, &r); err != nil {
				t.Fatalf("reply %s: %v", m, err)
			}
			return r
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no reply", method)
		}
		return reply{}
	}
	tests := []struct {
		method, params string
		result         string
		code           int
		msg            string
	}{
		{method: "calc.new", params: `[]`, code: jsonrpc.MethodNotFound, msg: `unknown method "calc.new"`},
		{method: "calc.echo", params: `[]`, code: jsonrpc.BadRequest, msg: "use server.version to identify client"},
		{method: "server.version", params: `["test", "1.4.2"]`, result: `["Amber test","1.4.2"]`},
		{method: "calc.new", params: `[]`, result: `{"ID":0,"Protocol":"1.4.2","RemoteAddr":"127.0.0.1:5"}`},
		{method: "calc.add", params: `[1, 2]`, result: `3`},
		{method: "calc.add", params: `{"a": 1, "b": 2, "c": 4}`, result: `7`},
		{method: "calc.add", params: `[1]`, code: jsonrpc.InvalidParams, msg: `1 argument passed to method "calc.add" but it requires 2`},
		{method: "calc.add", params: `[1, "x"]`, code: sdk.ElectrumBadRequest, msg: "argument 1 must be a number"},
		{method: "calc.echo", params: `[]`, result: `[]`},
		{method: "calc.fail", params: `[5]`, code: sdk.ElectrumDaemonError, msg: "calc failed"},
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

	if gated != 1 {
		t.Errorf("gate refused %d calls, want 1", gated)
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
}
