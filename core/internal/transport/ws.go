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
	"sync"
	"time"

	"github.com/coder/websocket"
)

// wsListener serves ws and wss: an http.Server on the socket upgrades every
// request (any path, any Origin, so that browser wallets work) and hands the
// websocket to Accept.
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
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, netConnKey{}, c)
		},
	}
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
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
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
	_, msg, err := c.c.Read(ctx)
	if err != nil {
		switch {
		case errors.Is(err, websocket.ErrMessageTooBig):
			c.stats.oversized.Add(1)
		case isCleanClose(err):
			return nil, io.EOF
		}
		return nil, fmt.Errorf("transport: read %s: %w", c.kind, err)
	}
	c.stats.bytesIn.Add(uint64(len(msg)))
	c.stats.msgsIn.Add(1)
	return msg, nil
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
