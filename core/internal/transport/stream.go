package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// streamListener serves tcp, ssl and rpc.
type streamListener struct {
	ln   net.Listener
	svc  Service
	kind string
	opts Options
	log  *slog.Logger
}

func (l *streamListener) Accept() (Conn, error) {
	backoff := 5 * time.Millisecond
	for {
		nc, err := l.ln.Accept()
		if err == nil {
			if l.opts.TLSConfig != nil && l.svc.Proto == "ssl" {
				// The handshake runs on the first read or write, under
				// that call's deadline, not in the accept loop.
				nc = tls.Server(nc, l.opts.TLSConfig)
			}
			return newStreamConn(nc, l.kind, l.opts), nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, fmt.Errorf("transport: accept %s: %w", l.svc, err)
		}
		// EMFILE, ECONNABORTED and the like: log, back off, retry.
		l.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

func (l *streamListener) Close() error     { return l.ln.Close() }
func (l *streamListener) Addr() net.Addr   { return l.ln.Addr() }
func (l *streamListener) Service() Service { return l.svc }

// streamConn is a newline-framed connection (plain TCP or TLS).
type streamConn struct {
	nc           net.Conn
	kind         string
	writeTimeout time.Duration
	lines        *lineReader
	stats        counters

	wmu  sync.Mutex
	wbuf []byte

	closeOnce sync.Once
	closeErr  error

	// watchMu guards watched: one lasting watch on the first cancellable
	// context without a deadline passed to a read or write (a session's
	// own context): calls with it skip the per-call context.AfterFunc.
	// Contexts with a deadline (the first read's handshake deadline) are
	// watched per call and do not take the place.
	watchMu sync.Mutex
	watched context.Context

	discardHook atomic.Pointer[func(n int)]
}

// SetDiscardHook makes the connection report the bytes of every discarded
// (oversized) line to f as they arrive, so that the session can charge
// them as bandwidth.
func (c *streamConn) SetDiscardHook(f func(n int)) { c.discardHook.Store(&f) }

func (c *streamConn) discarded(n int) {
	c.stats.discarded.Add(uint64(n))
	if f := c.discardHook.Load(); f != nil {
		(*f)(n)
	}
}

func newStreamConn(nc net.Conn, kind string, opts Options) *streamConn {
	c := &streamConn{nc: nc, kind: kind, writeTimeout: opts.WriteTimeout}
	c.lines = newLineReader(countingReader{r: nc, n: &c.stats.bytesIn}, opts.MaxRecv,
		func() { c.stats.oversized.Add(1) })
	c.lines.dropped = c.discarded
	return c
}

// longAgo is a deadline in the past: it makes blocked I/O return at once.
var longAgo = time.Unix(1, 0)

// watch arms deadline setter for ctx: the deadline is ctx's (or zero) and
// cancellation moves it into the past. The returned stop reports whether
// ctx fired.
func watch(ctx context.Context, set func(time.Time) error, limit time.Time) func() bool {
	if dl, ok := ctx.Deadline(); ok && (limit.IsZero() || dl.Before(limit)) {
		limit = dl
	}
	_ = set(limit)
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	stop := context.AfterFunc(ctx, func() { _ = set(longAgo) })
	return func() bool { return !stop() }
}

// ctxErr prefers the context's error when ctx caused err.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return context.DeadlineExceeded
		}
	}
	return err
}

// deadlines is watch for this connection. A session passes its own
// context to every read and write; registering and removing an AfterFunc
// for it on each message cost ~6 % of amberd's CPU under load, so the
// first such context (cancellable, no deadline) gets one lasting watch that
// moves both deadlines into the past when it is done. Other contexts are
// watched per call.
func (c *streamConn) deadlines(ctx context.Context, set func(time.Time) error, limit time.Time) func() bool {
	c.watchMu.Lock()
	if _, has := ctx.Deadline(); c.watched == nil && ctx.Done() != nil && !has {
		c.watched = ctx
		context.AfterFunc(ctx, func() {
			_ = c.nc.SetReadDeadline(longAgo)
			_ = c.nc.SetWriteDeadline(longAgo)
		})
	}
	watched := c.watched
	c.watchMu.Unlock()
	if ctx != watched {
		return watch(ctx, set, limit)
	}
	_ = set(limit)
	if ctx.Err() != nil {
		// Done between the caller's check and set: the lasting watch may
		// have fired before set overwrote its deadline.
		_ = set(longAgo)
	}
	return func() bool { return ctx.Err() != nil }
}

func (c *streamConn) ReadMessage(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stop := c.deadlines(ctx, c.nc.SetReadDeadline, time.Time{})
	msg, err := c.lines.next()
	stop()
	if err != nil {
		if isEOF(err) {
			return nil, err
		}
		return nil, fmt.Errorf("transport: read %s: %w", c.kind, ctxErr(ctx, err))
	}
	c.stats.msgsIn.Add(1)
	return msg, nil
}

func (c *streamConn) WriteMessage(ctx context.Context, msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	stop := c.deadlines(ctx, c.nc.SetWriteDeadline, time.Now().Add(c.writeTimeout))
	c.wbuf = append(append(c.wbuf[:0], msg...), '\n')
	n, err := c.nc.Write(c.wbuf)
	stop()
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil
	}
	c.stats.bytesOut.Add(uint64(n))
	if err != nil {
		return fmt.Errorf("transport: write %s: %w", c.kind, ctxErr(ctx, err))
	}
	c.stats.msgsOut.Add(1)
	return nil
}

func (c *streamConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.nc.Close() })
	return c.closeErr
}

func (c *streamConn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// PeerClosed reports whether the peer has closed the connection (FIN or
// reset), without reading: a session whose reader is held back by its own
// back-pressure uses it to see that its client is gone (Linux; elsewhere
// it reports false and the next read tells).
func (c *streamConn) PeerClosed() bool { return peerClosed(c.nc) }
func (c *streamConn) Kind() string     { return c.kind }
func (c *streamConn) Stats() Stats     { return c.stats.snapshot() }
