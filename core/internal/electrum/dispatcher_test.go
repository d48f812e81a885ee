package electrum

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/session"
)

// pipeConn is a session.Conn fed from a channel; replies go to out.
type pipeConn struct {
	in        chan []byte
	out       chan string
	closeOnce sync.Once
	closed    chan struct{}
}

func newPipeConn() *pipeConn {
	return &pipeConn{in: make(chan []byte, 16), out: make(chan string, 64), closed: make(chan struct{})}
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

func (c *pipeConn) WriteMessage(_ context.Context, msg []byte) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	case c.out <- string(msg):
		return nil
	}
}

func (c *pipeConn) Close() error         { c.closeOnce.Do(func() { close(c.closed) }); return nil }
func (c *pipeConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *pipeConn) Kind() string         { return "tcp" }

func (c *pipeConn) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-c.out:
		return m
	case <-time.After(20 * time.Second): // hang guard only
		t.Fatal("no message from the session")
		return ""
	}
}

// TestThroughRealSession drives the Server as a session.Factory over a
// real session: negotiation, a subscription notification, the handler's
// state as the session reports it, and the close after an unsupported
// version.
func TestThroughRealSession(t *testing.T) {
	srv, ix, _ := newFixture(t)
	mgr := session.NewManager(nil)
	conn := newPipeConn()
	done := make(chan struct{})
	go func() { mgr.Serve(t.Context(), conn, srv, session.Profile{}); close(done) }()

	conn.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"server.version","params":["electrum/4.3.4","1.4"]}`)
	if got := conn.next(t); got != `{"jsonrpc":"2.0","result":["Amber 0.1.0","1.4"],"id":1}` {
		t.Fatalf("version reply %s", got)
	}
	conn.in <- []byte(`{"jsonrpc":"2.0","id":2,"method":"blockchain.scripthash.subscribe","params":["` + shA + `"]}`)
	if got := conn.next(t); !strings.HasPrefix(got, `{"jsonrpc":"2.0","result":"`) {
		t.Fatalf("subscribe reply %s", got)
	}
	ix.setHistory(hxA, nil, nil)
	srv.HandleEvent(touchEvent(ix, hxA))
	if got := conn.next(t); got != `{"jsonrpc":"2.0","method":"blockchain.scripthash.subscribe","params":["`+shA+`",null]}` {
		t.Fatalf("notification %s", got)
	}
	ss := mgr.Sessions()
	if len(ss) != 1 || ss[0].Client() != "electrum/4.3.4" || ss[0].Protocol() != "1.4" {
		t.Fatalf("session label/protocol not set")
	}
	// The handler's subscription count is the session's (cost decay,
	// admin sessions and groups).
	if n := ss[0].Subscriptions(); n != 1 {
		t.Errorf("session subscriptions = %d, want 1", n)
	}
	conn.in <- []byte(`{"jsonrpc":"2.0","id":4,"method":"blockchain.transaction.broadcast","params":["0100abcd"]}`)
	if got := conn.next(t); !strings.Contains(got, `"result"`) {
		t.Fatalf("broadcast reply %s", got)
	}
	if n := ss[0].Counters().TxsSent.Load(); n != 1 {
		t.Errorf("session txs sent = %d, want 1", n)
	}
	conn.in <- []byte(`{"jsonrpc":"2.0","id":3,"method":"server.version","params":["x","1.4"]}`)
	if got := conn.next(t); !strings.Contains(got, `"server.version already sent"`) {
		t.Fatalf("second version: %s", got)
	}
	close(conn.in)
	<-done
	srv.sessMu.Lock()
	n := len(srv.sessions)
	srv.sessMu.Unlock()
	if n != 0 {
		t.Errorf("Closed did not forget the session")
	}

	// An unsupported version is answered, then the session closes.
	conn = newPipeConn()
	done = make(chan struct{})
	go func() { mgr.Serve(t.Context(), conn, srv, session.Profile{}); close(done) }()
	conn.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"server.version","params":["x","1.3"]}`)
	if got := conn.next(t); !strings.Contains(got, `"unsupported protocol version: 1.3"`) {
		t.Fatalf("reply %s", got)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second): // hang guard only
		t.Fatal(errors.New("session not closed after an unsupported version"))
	}
}
