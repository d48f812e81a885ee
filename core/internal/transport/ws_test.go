package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

func dialWS(t *testing.T, ctx context.Context, ln Listener, scheme string, cli *tls.Config) *websocket.Conn {
	t.Helper()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{"Origin": []string{"https://wallet.example"}}}
	if cli != nil {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: cli}}
	}
	c, _, err := websocket.Dial(ctx, scheme+"://"+ln.Addr().String()+"/any/path", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func wsRoundTrip(t *testing.T, ctx context.Context, sc Conn, cl *websocket.Conn) {
	t.Helper()
	for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		if err := cl.Write(ctx, typ, []byte(`{"method":"server.ping"}`)); err != nil {
			t.Fatal(err)
		}
		msg, err := sc.ReadMessage(ctx)
		if err != nil || string(msg) != `{"method":"server.ping"}` {
			t.Fatalf("server read %q %v", msg, err)
		}
	}
	if err := sc.WriteMessage(ctx, []byte(`{"result":null}`)); err != nil {
		t.Fatal(err)
	}
	typ, msg, err := cl.Read(ctx)
	if err != nil || typ != websocket.MessageText || string(msg) != `{"result":null}` {
		t.Fatalf("client read %v %q %v", typ, msg, err)
	}
}

func TestWSRoundTrip(t *testing.T) {
	srvCfg, cliCfg := selfSigned(t)
	for _, tc := range []struct {
		proto, scheme, kind string
		srv, cli            *tls.Config
	}{
		{"ws", "ws", "WS", nil, nil},
		{"wss", "wss", "WSS", srvCfg, cliCfg},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			ctx := testCtx(t)
			ln := listen(t, tc.proto, Options{TLSConfig: tc.srv})
			accepted := acceptAsync(t, ln)
			cl := dialWS(t, ctx, ln, tc.scheme, tc.cli)
			sc := <-accepted
			if sc == nil {
				t.FailNow()
			}
			defer sc.Close()
			if sc.Kind() != tc.kind {
				t.Errorf("kind %s", sc.Kind())
			}
			if a, ok := sc.RemoteAddr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
				t.Errorf("remote addr %v", sc.RemoteAddr())
			}
			wsRoundTrip(t, ctx, sc, cl)
			st := sc.Stats()
			if st.MessagesIn != 2 || st.MessagesOut != 1 || st.BytesOut != uint64(len(`{"result":null}`)) {
				t.Errorf("stats %+v", st)
			}
			closeFromClient(t, ctx, sc, cl)
		})
	}
}

func TestWSOversizeCloses(t *testing.T) {
	ctx := testCtx(t)
	ln := listen(t, "ws", Options{MaxRecv: 100})
	accepted := acceptAsync(t, ln)
	cl := dialWS(t, ctx, ln, "ws", nil)
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	if err := cl.Write(ctx, websocket.MessageText, []byte(strings.Repeat("x", 100))); err != nil {
		t.Fatal(err)
	}
	if msg, err := sc.ReadMessage(ctx); err != nil || len(msg) != 100 {
		t.Fatalf("message of exactly MaxRecv: %d %v", len(msg), err)
	}
	go cl.Write(ctx, websocket.MessageText, []byte(strings.Repeat("x", 101)))
	if _, err := sc.ReadMessage(ctx); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("oversized message: %v", err)
	}
	if st := sc.Stats(); st.Oversized != 1 {
		t.Errorf("stats %+v", st)
	}
	_, _, err := cl.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("client saw %v, want close 1009", err)
	}
}

func TestWSListenerCloseKeepsConns(t *testing.T) {
	ctx := testCtx(t)
	ln := listen(t, "ws", Options{})
	accepted := acceptAsync(t, ln)
	cl := dialWS(t, ctx, ln, "ws", nil)
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	if c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil); err == nil {
		c.CloseNow()
		t.Error("websocket dial succeeded after listener close")
	}
	wsRoundTrip(t, ctx, sc, cl)
	closeFromClient(t, ctx, sc, cl)
}

// closeFromClient closes the websocket from the client side; the server
// sees a clean end.
func closeFromClient(t *testing.T, ctx context.Context, sc Conn, cl *websocket.Conn) {
	t.Helper()
	cerr := make(chan error, 1)
	go func() { cerr <- cl.Close(websocket.StatusNormalClosure, "bye") }()
	if _, err := sc.ReadMessage(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("after normal close: %v, want EOF", err)
	}
	if err := <-cerr; err != nil {
		t.Errorf("client close: %v", err)
	}
}

func TestWSPlainHTTPRefused(t *testing.T) {
	ln := listen(t, "ws", Options{})
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Errorf("plain HTTP request got %s", resp.Status)
	}
}
