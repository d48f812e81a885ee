package session

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// fakeConn is an in-memory Conn: the test pushes client messages into in
// and reads what the session wrote from out.
type fakeConn struct {
	in     chan []byte
	out    chan []byte
	closed chan struct{}
	once   sync.Once
	addr   net.Addr // nil: 127.0.0.1:1
}

func newFakeConn() *fakeConn {
	return &fakeConn{in: make(chan []byte, 64), out: make(chan []byte, 64), closed: make(chan struct{})}
}

func (c *fakeConn) ReadMessage(ctx context.Context) ([]byte, error) {
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

func (c *fakeConn) WriteMessage(ctx context.Context, m []byte) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	select {
	case c.out <- append([]byte(nil), m...):
		return nil
	case <-c.closed:
		return net.ErrClosed
	}
}

func (c *fakeConn) Close() error { c.once.Do(func() { close(c.closed) }); return nil }
func (c *fakeConn) RemoteAddr() net.Addr {
	if c.addr != nil {
		return c.addr
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
}
func (c *fakeConn) Kind() string { return "TCP" }

// read returns the next message the session wrote, failing the test if none
// arrives within a generous bound (a hang, not a timing assertion).
func (c *fakeConn) read(t *testing.T) string {
	t.Helper()
	select {
	case m := <-c.out:
		return string(m)
	case <-time.After(5 * time.Second):
		t.Fatal("no message from the session")
	}
	return ""
}

// dispatcher is a table-driven fake Factory: method name to behaviour.
// Its handlers share its counters; each keeps its own protocol and client.
type dispatcher struct {
	opened, closed atomic.Int32
	running, peak  atomic.Int32
	subs           int // every handler reports this many subscriptions
	handlers       map[string]func(ctx context.Context, s *Session, params json.RawMessage) (any, error)

	mu       sync.Mutex
	info     map[*Session]Info // protocol and client set by the behaviours
	notified []string          // client notifications seen, in order
}

func (d *dispatcher) NewHandler(s *Session) Handler {
	d.opened.Add(1)
	return &fakeHandler{d: d, s: s}
}

// setInfo records the protocol and client a behaviour negotiated for s.
func (d *dispatcher) setInfo(s *Session, in Info) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.info == nil {
		d.info = map[*Session]Info{}
	}
	d.info[s] = in
}

func (d *dispatcher) notifications() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.notified...)
}

// fakeHandler is the dispatcher's handler of one session.
type fakeHandler struct {
	d *dispatcher
	s *Session
}

func (h *fakeHandler) Closed() { h.d.closed.Add(1) }

func (h *fakeHandler) Notified(m string) {
	h.d.mu.Lock()
	h.d.notified = append(h.d.notified, m)
	h.d.mu.Unlock()
}

func (h *fakeHandler) Info() Info {
	h.d.mu.Lock()
	defer h.d.mu.Unlock()
	in := h.d.info[h.s]
	in.Subscriptions = h.d.subs
	return in
}

func (h *fakeHandler) Handle(ctx context.Context, m string, p json.RawMessage) (any, error) {
	d := h.d
	n := d.running.Add(1)
	defer d.running.Add(-1)
	for {
		old := d.peak.Load()
		if n <= old || d.peak.CompareAndSwap(old, n) {
			break
		}
	}
	f, ok := d.handlers[m]
	if !ok {
		return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, "unknown method %q", m)
	}
	return f(ctx, h.s, p)
}

func echo(_ context.Context, _ *Session, p json.RawMessage) (any, error) { return p, nil }

func start(t *testing.T, d Factory, p Profile) (*Manager, *fakeConn, chan struct{}) {
	t.Helper()
	m := NewManager(nil)
	c := newFakeConn()
	done := make(chan struct{})
	go func() { m.Serve(context.Background(), c, d, p); close(done) }()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return m, c, done
}

func TestRequestReplies(t *testing.T) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"echo": echo,
		"fail": func(context.Context, *Session, json.RawMessage) (any, error) {
			return nil, jsonrpc.Errorf(jsonrpc.BadRequest, "bad thing")
		},
		"crash":    func(context.Context, *Session, json.RawMessage) (any, error) { return nil, errors.New("boom") },
		"big":      func(context.Context, *Session, json.RawMessage) (any, error) { return strings.Repeat("x", 2000), nil },
		"unencode": func(context.Context, *Session, json.RawMessage) (any, error) { return make(chan int), nil },
	}}
	_, c, _ := start(t, d, Profile{MaxSend: 1000})
	for _, tc := range []struct{ name, in, want string }{
		{"result", `{"jsonrpc":"2.0","id":1,"method":"echo","params":[1,"a"]}`, `{"jsonrpc":"2.0","result":[1,"a"],"id":1}`},
		{"string id", `{"jsonrpc":"2.0","id":"x","method":"echo","params":[]}`, `{"jsonrpc":"2.0","result":[],"id":"x"}`},
		{"handler error", `{"jsonrpc":"2.0","id":2,"method":"fail"}`, `{"jsonrpc":"2.0","error":{"code":1,"message":"bad thing"},"id":2}`},
		{"unknown method", `{"jsonrpc":"2.0","id":3,"method":"nope"}`, `{"jsonrpc":"2.0","error":{"code":-32601,"message":"unknown method \"nope\""},"id":3}`},
		{"internal error", `{"jsonrpc":"2.0","id":4,"method":"crash"}`, `{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal server error"},"id":4}`},
		{"unencodable result", `{"jsonrpc":"2.0","id":5,"method":"unencode"}`, `{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal server error"},"id":5}`},
		{"too large", `{"jsonrpc":"2.0","id":6,"method":"big"}`, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"response too large (over 1,000 bytes"},"id":6}`},
	} {
		c.in <- []byte(tc.in)
		if got := c.read(t); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestNotificationsAndParseErrorsAreCharged(t *testing.T) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){"echo": echo}}
	m, c, _ := start(t, d, Profile{})
	c.in <- []byte(`{"jsonrpc":"2.0","method":"echo","params":[]}`) // notification: no reply
	c.in <- []byte(`{not json`)
	got := c.read(t)
	if !strings.Contains(got, `"code":-32700`) {
		t.Fatalf("parse error reply = %s", got)
	}
	c.in <- []byte(`{"jsonrpc":"2.0","id":9,"method":"echo","params":[]}`)
	if got := c.read(t); got != `{"jsonrpc":"2.0","result":[],"id":9}` {
		t.Fatalf("session not usable after errors: %s", got)
	}
	s := m.Sessions()[0]
	// The notification is handled on its own goroutine: wait for it (a
	// hang guard, not a timing assertion).
	for deadline := time.Now().Add(5 * time.Second); s.Counters().Errors.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if e := s.Counters().Errors.Load(); e != 2 {
		t.Errorf("errors = %d, want 2 (notification + parse error)", e)
	}
	// 100 for the notification, 100+1000 for the parse error.
	if cost := s.Cost(); cost != 1200 {
		t.Errorf("cost = %v, want 1200", cost)
	}
}

func TestBatchKeepsOrderAndLimits(t *testing.T) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"echo": echo,
		"slow": func(ctx context.Context, _ *Session, p json.RawMessage) (any, error) {
			time.Sleep(20 * time.Millisecond)
			return p, nil
		},
		"big": func(context.Context, *Session, json.RawMessage) (any, error) { return strings.Repeat("y", 300), nil },
	}}
	_, c, _ := start(t, d, Profile{MaxSend: 500})
	c.in <- []byte(`[{"jsonrpc":"2.0","id":1,"method":"slow","params":[1]},{"jsonrpc":"2.0","method":"echo","params":[]},{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}]`)
	if got, want := c.read(t), `[{"jsonrpc":"2.0","result":[1],"id":1},{"jsonrpc":"2.0","result":[2],"id":2}]`; got != want {
		t.Fatalf("batch = %s, want %s", got, want)
	}
	// The running total of a batch is checked against MaxSend per item, in
	// completion order (as aiorpcX): one slot makes that request order.
	_, c, _ = start(t, d, Profile{MaxSend: 500, Concurrency: 1})
	c.in <- []byte(`[{"jsonrpc":"2.0","id":1,"method":"big"},{"jsonrpc":"2.0","id":2,"method":"big"}]`)
	got := c.read(t)
	var items []map[string]any
	if err := json.Unmarshal([]byte(got), &items); err != nil || len(items) != 2 {
		t.Fatalf("batch reply %s: %v", got, err)
	}
	if _, ok := items[0]["result"]; !ok {
		t.Errorf("first item should fit: %v", items[0])
	}
	if e, ok := items[1]["error"].(map[string]any); !ok || e["code"] != float64(-32600) {
		t.Errorf("second item should be too large: %v", items[1])
	}
}

func TestRequestTimeoutAnswersServerBusy(t *testing.T) {
	release := make(chan struct{})
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"hang": func(ctx context.Context, _ *Session, _ json.RawMessage) (any, error) {
			<-release // ignores ctx on purpose: the session must answer anyway
			return nil, nil
		},
		"echo": echo,
	}}
	m, c, _ := start(t, d, Profile{RequestTimeout: 50 * time.Millisecond})
	defer close(release)
	c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"hang"}`)
	if got, want := c.read(t), `{"jsonrpc":"2.0","error":{"code":-102,"message":"server busy - request timed out"},"id":1}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	c.in <- []byte(`{"jsonrpc":"2.0","id":2,"method":"echo","params":[]}`)
	if got := c.read(t); !strings.Contains(got, `"id":2`) {
		t.Fatalf("session unusable after timeout: %s", got)
	}
	// The timeout is charged as an error: +100 (no bandwidth cost here).
	if cost := m.Sessions()[0].Cost(); cost != ErrorBaseCost {
		t.Errorf("cost after a timeout = %v, want %v", cost, ErrorBaseCost)
	}
}

// TestLateAnswerDropped: a handler finishing after its -102 was sent is
// not answered a second time, and its slot was already released at the
// timeout (one slot: the next request runs while the late one still hangs).
func TestLateAnswerDropped(t *testing.T) {
	release, finished := make(chan struct{}), make(chan struct{})
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"late": func(context.Context, *Session, json.RawMessage) (any, error) {
			<-release
			defer close(finished)
			return "late", nil
		},
		"echo": echo,
	}}
	_, c, _ := start(t, d, Profile{RequestTimeout: 50 * time.Millisecond, Concurrency: 1})
	c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"late"}`)
	if got := c.read(t); !strings.Contains(got, `-102`) || !strings.Contains(got, `"id":1`) {
		t.Fatalf("first answer %s, want -102 for id 1", got)
	}
	c.in <- []byte(`{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}`)
	if got := c.read(t); got != `{"jsonrpc":"2.0","result":[2],"id":2}` {
		t.Fatalf("second answer %s", got)
	}
	close(release)
	<-finished
	c.in <- []byte(`{"jsonrpc":"2.0","id":3,"method":"echo","params":[3]}`)
	if got := c.read(t); got != `{"jsonrpc":"2.0","result":[3],"id":3}` {
		t.Fatalf("after the late handler: %s (a second answer to id 1?)", got)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	gate := make(chan struct{})
	var entered atomic.Int32
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"wait": func(ctx context.Context, _ *Session, p json.RawMessage) (any, error) {
			entered.Add(1)
			<-gate
			return p, nil
		},
	}}
	_, c, _ := start(t, d, Profile{Concurrency: 3})
	for i := 0; i < 8; i++ {
		c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"wait","params":[]}`)
	}
	for entered.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	for i := 0; i < 8; i++ {
		c.read(t)
	}
	if p := d.peak.Load(); p != 3 {
		t.Errorf("peak concurrency = %d, want 3", p)
	}
}

func TestCloseAfterReplyAndNotify(t *testing.T) {
	var sess atomic.Pointer[Session]
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"sub": func(_ context.Context, s *Session, _ json.RawMessage) (any, error) {
			sess.Store(s)
			return "ok", nil
		},
		"bye": func(_ context.Context, s *Session, _ json.RawMessage) (any, error) {
			s.CloseAfterReply()
			return nil, jsonrpc.Errorf(jsonrpc.BadRequest, "unsupported client")
		},
	}}
	_, c, done := start(t, d, Profile{})
	c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"sub"}`)
	c.read(t)
	if err := sess.Load().Notify("blockchain.headers.subscribe", []any{map[string]any{"height": 5}}); err != nil {
		t.Fatal(err)
	}
	if got, want := c.read(t), `{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{"height":5}]}`; got != want {
		t.Fatalf("notification = %s, want %s", got, want)
	}
	c.in <- []byte(`{"jsonrpc":"2.0","id":2,"method":"bye"}`)
	if got := c.read(t); !strings.Contains(got, "unsupported client") {
		t.Fatalf("reply before close = %s", got)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("session did not close after CloseAfterReply")
	}
	if err := sess.Load().Notify("x", nil); err == nil {
		t.Error("Notify on a closed session should fail")
	}
	if d.opened.Load() != 1 || d.closed.Load() != 1 {
		t.Errorf("opened/closed = %d/%d, want 1/1", d.opened.Load(), d.closed.Load())
	}
}

func TestEOFCancelsInFlight(t *testing.T) {
	// EOF is the end of the connection (as in aiorpcX): a request in
	// flight is cancelled and gets no answer. (Before issue 11's EOF
	// change a half-close was still answered.)
	started, cancelled := make(chan struct{}), make(chan struct{})
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"slow": func(ctx context.Context, _ *Session, p json.RawMessage) (any, error) {
			close(started)
			<-ctx.Done() // no deadline: only the session's end cancels it
			close(cancelled)
			return "done", nil
		},
	}}
	_, c, done := start(t, d, Profile{})
	c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"slow"}`)
	<-started
	close(c.in) // the client half-closes right after sending
	<-done
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second): // a hang guard
		t.Fatal("the handler's context was not cancelled at EOF")
	}
	select {
	case m := <-c.out:
		t.Errorf("answered after EOF: %s", m)
	default:
	}
}

func TestManagerSessionsAndShutdown(t *testing.T) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){"echo": echo}}
	m := NewManager(nil)
	var counts []int
	var mu sync.Mutex
	m.OnCountChange = func(n int) { mu.Lock(); counts = append(counts, n); mu.Unlock() }
	var wg sync.WaitGroup
	conns := make([]*fakeConn, 3)
	for i := range conns {
		conns[i] = newFakeConn()
		wg.Add(1)
		go func(c *fakeConn) {
			defer wg.Done()
			m.Serve(context.Background(), c, d, Profile{ConnectionCost: ConnectionCost})
		}(conns[i])
	}
	for m.Count() < 3 {
		time.Sleep(time.Millisecond)
	}
	ss := m.Sessions()
	for i, s := range ss {
		if s.ID() != uint64(i) {
			t.Errorf("session %d has id %d; ids start at 0 in start order", i, s.ID())
		}
		if s.Cost() != ConnectionCost {
			t.Errorf("session cost = %v, want the connection cost %v", s.Cost(), ConnectionCost)
		}
		if s.Client() != "unknown" {
			t.Errorf("client = %q", s.Client())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if m.Count() != 0 {
		t.Errorf("count after shutdown = %d", m.Count())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(counts) != 6 || counts[5] != 0 {
		t.Errorf("count changes = %v", counts)
	}
}

// TestHandlerOwnsState: the session asks its handler for the client name,
// the protocol and the subscription count, and hands it the client's
// notifications (charged as errors, never answered).
func TestHandlerOwnsState(t *testing.T) {
	d := &dispatcher{subs: 3}
	d.handlers = map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"hello": func(_ context.Context, s *Session, _ json.RawMessage) (any, error) {
			d.setInfo(s, Info{Client: "wallet/1", Protocol: "9.9"})
			return "hi", nil
		},
		"echo": echo,
	}
	// Serial until the protocol is set: the notification is handled
	// before hello is read.
	m, c, _ := start(t, d, Profile{SerialUntilProtocol: true})
	for m.Count() < 1 {
		time.Sleep(time.Millisecond)
	}
	s := m.Sessions()[0]
	if s.Client() != "unknown" || s.Protocol() != "" || s.Subscriptions() != 3 {
		t.Fatalf("before hello: client %q protocol %q subs %d", s.Client(), s.Protocol(), s.Subscriptions())
	}
	c.in <- []byte(`{"jsonrpc":"2.0","method":"ping","params":[]}`)
	c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"hello"}`)
	if got := c.read(t); got != `{"jsonrpc":"2.0","result":"hi","id":1}` {
		t.Fatalf("hello reply = %s (the notification must not be answered)", got)
	}
	if s.Client() != "wallet/1" || s.Protocol() != "9.9" {
		t.Errorf("after hello: client %q protocol %q", s.Client(), s.Protocol())
	}
	if got := d.notifications(); len(got) != 1 || got[0] != "ping" {
		t.Errorf("notifications seen by the handler = %v, want [ping]", got)
	}
	if n := s.Counters().Errors.Load(); n != 1 {
		t.Errorf("errors = %d, want 1 (the notification)", n)
	}
	if d.opened.Load() != 1 {
		t.Errorf("handlers opened = %d, want 1", d.opened.Load())
	}
}
