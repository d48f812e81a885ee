package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// wsListener serves ws and wss: an http.Server on the socket upgrades every
// request (any path) and hands the websocket to Accept.
//
// Websocket behaviour (issue 11.8), as ElectrumX's aiorpcX/websockets:
//   - a binary message is read exactly as a text one (aiorpcX encodes text
//     to bytes and parses both as JSON); replies are always text; a text
//     message that is not UTF-8 closes the websocket with 1007;
//   - every client frame header is checked before its payload is read
//     (wsGuardConn): a frame, or a fragmented message so far, claiming more
//     than MaxRecv bytes is refused at once with close 1009, without
//     allocating or waiting for the payload; an unmasked client frame is
//     closed with 1002;
//   - Origin: with Options.WSAllowedOrigins empty any Origin is accepted, so
//     that browser wallets on any site work (the server holds no cookies or
//     credentials, and every answer is public chain data); with a list, a
//     request whose Origin header is not in it gets 403, while requests
//     without an Origin (wallets, scripts: not browsers) are accepted;
//   - one HTTP request per connection (no keep-alive), headers up to
//     wsMaxHeaderBytes.
type wsListener struct {
	ln    net.Listener
	srv   *http.Server
	svc   Service
	kind  string
	opts  Options
	log   *slog.Logger
	conns chan *wsConn
	done  chan struct{}
	once  sync.Once
}

type netConnKey struct{}

func newWSListener(ln net.Listener, svc Service, kind string, opts Options, log *slog.Logger) *wsListener {
	l := &wsListener{ln: ln, svc: svc, kind: kind, opts: opts, log: log,
		conns: make(chan *wsConn), done: make(chan struct{})}
	if svc.Proto == "wss" {
		cfg := opts.TLSConfig.Clone()
		cfg.NextProtos = []string{"http/1.1"} // websockets need HTTP/1.1 hijacking
		ln = tls.NewListener(ln, cfg)
	}
	ln = wsGuardListener{Listener: ln, maxRecv: opts.MaxRecv}
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: opts.WSHandshakeTimeout,
		MaxHeaderBytes:    wsMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, netConnKey{}, c)
		},
	}
	l.srv.SetKeepAlivesEnabled(false)
	go func() {
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			log.Error("websocket server stopped", "err", err)
		}
	}()
	return l
}

func (l *wsListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	remote := net.Addr(nil)
	if nc, ok := r.Context().Value(netConnKey{}).(net.Conn); ok {
		remote = nc.RemoteAddr()
	}
	select {
	case <-l.done:
		http.Error(w, "server not accepting connections", http.StatusServiceUnavailable)
		return
	default:
	}
	if o := r.Header.Get("Origin"); o != "" && !originAllowed(l.opts.WSAllowedOrigins, o) {
		l.log.Debug("websocket origin refused", "remote", remote, "origin", o)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	// The Origin policy is ours (above): the library's same-host check is off.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		l.log.Debug("websocket upgrade failed", "remote", remote, "err", err)
		return // Accept has written the HTTP error
	}
	c.SetReadLimit(int64(l.opts.MaxRecv))
	wc := &wsConn{c: c, kind: l.kind, remote: remote, writeTimeout: l.opts.WriteTimeout}
	select {
	case l.conns <- wc:
	case <-l.done:
		c.Close(websocket.StatusGoingAway, "server not accepting connections")
	}
}

func (l *wsListener) Accept() (Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, fmt.Errorf("transport: accept %s: %w", l.svc, net.ErrClosed)
	}
}

// Close stops the HTTP server; upgraded websockets are hijacked connections
// that http.Server no longer tracks, so they continue.
func (l *wsListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.srv.Close()
	})
	return err
}

func (l *wsListener) Addr() net.Addr   { return l.ln.Addr() }
func (l *wsListener) Service() Service { return l.svc }

// wsConn is one websocket; each message is one JSON text.
type wsConn struct {
	c            *websocket.Conn
	kind         string
	remote       net.Addr
	writeTimeout time.Duration
	stats        counters
	wmu          sync.Mutex
}

func (c *wsConn) ReadMessage(ctx context.Context) ([]byte, error) {
	typ, msg, err := c.c.Read(ctx)
	if err != nil {
		switch {
		case errors.Is(err, websocket.ErrMessageTooBig), errors.Is(err, errFrameTooBig):
			c.stats.oversized.Add(1)
		case isCleanClose(err):
			return nil, io.EOF
		}
		return nil, fmt.Errorf("transport: read %s: %w", c.kind, err)
	}
	if typ == websocket.MessageText && !utf8.Valid(msg) {
		_ = c.c.Close(websocket.StatusInvalidFramePayloadData, "invalid UTF-8")
		return nil, fmt.Errorf("transport: read %s: text message is not UTF-8", c.kind)
	}
	c.stats.bytesIn.Add(uint64(len(msg)))
	c.stats.msgsIn.Add(1)
	return msg, nil
}

// wsMaxHeaderBytes bounds the HTTP upgrade request's header.
const wsMaxHeaderBytes = 16 << 10

// originAllowed reports whether origin may open a websocket: any when
// allowed is empty, else an exact (case-insensitive) match of
// scheme://host[:port].
func originAllowed(allowed []string, origin string) bool {
	if len(allowed) == 0 {
		return true
	}
	o := strings.ToLower(strings.TrimSuffix(origin, "/"))
	for _, a := range allowed {
		if strings.ToLower(a) == o {
			return true
		}
	}
	return false
}

func isCleanClose(err error) bool {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return true
	}
	return isEOF(err)
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF)
}

func (c *wsConn) WriteMessage(ctx context.Context, msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.writeTimeout)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, msg); err != nil {
		return fmt.Errorf("transport: write %s: %w", c.kind, err)
	}
	c.stats.bytesOut.Add(uint64(len(msg)))
	c.stats.msgsOut.Add(1)
	return nil
}

// Close performs the websocket close handshake (normal closure); it waits
// at most a few seconds for the peer (coder/websocket's limit).
func (c *wsConn) Close() error {
	err := c.c.Close(websocket.StatusNormalClosure, "")
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (c *wsConn) RemoteAddr() net.Addr { return c.remote }
func (c *wsConn) Kind() string         { return c.kind }
func (c *wsConn) Stats() Stats         { return c.stats.snapshot() }

// SetDiscardHook does nothing: a websocket message over the limit closes
// the connection (1009) rather than being discarded.
func (c *wsConn) SetDiscardHook(func(n int)) {}
