package daemonrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// failure is one failed attempt that the retry loop retries.
type failure struct {
	key  string // rate-limit key of the log line
	line string // log line, as ElectrumX words it
	desc string // what failed, for the caller's error
	err  error
}

func (f *failure) Error() string { return f.desc }
func (f *failure) Unwrap() error { return f.err }

// classify turns an HTTP client error into a failure.
func classify(err error, logged string) *failure {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &failure{"connection", "connection problem - check your daemon is running",
			"connection refused to " + logged, err}
	case errors.Is(err, syscall.ECONNRESET):
		return &failure{"reset", "connection reset", "connection reset by " + logged, err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &failure{"disconnected", "disconnected", "disconnected from " + logged, err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &failure{"timeout", "timeout error", "timeout waiting for " + logged, err}
	}
	return &failure{"connection", "connection problem - check your daemon is running",
		fmt.Sprintf("connection problem with %s: %v", logged, err), err}
}

// post sends body to ep and hands the body of a JSON reply to read. A
// failure to read the reply body is a transport failure whatever read
// makes of it.
func (c *Client) post(ctx context.Context, ep Endpoint, body []byte, read func(io.Reader) error) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return classify(ctx.Err(), ep.Logged)
	}
	defer func() { <-c.sem }()
	user, pass, fromCookie, err := c.creds(ep)
	if err != nil {
		return &failure{"cookie", "cannot read cookie file", err.Error(), err}
	}
	rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, ep.Base, bytes.NewReader(body))
	if err != nil {
		return &failure{"connection", "bad request", err.Error(), err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(user, pass)
	resp, err := c.http.Do(req)
	if err != nil {
		return classify(err, ep.Logged)
	}
	defer resp.Body.Close()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		if resp.StatusCode == http.StatusUnauthorized && fromCookie {
			c.invalidateCookie()
		}
		return &failure{"refused", "daemon service refused: " + resp.Status,
			fmt.Sprintf("service refused by %s: HTTP %s", ep.Logged, resp.Status), nil}
	}
	var readErr error
	err = read(errReader{resp.Body, &readErr})
	if readErr != nil {
		return classify(readErr, ep.Logged)
	}
	return err
}

// errReader records the first read error of a reply body (io.EOF is the
// normal end, not an error).
type errReader struct {
	r   io.Reader
	err *error
}

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && *e.err == nil {
		*e.err = err
	}
	return n, err
}

// readAll adapts a parser of a whole reply body to post.
func readAll[T any](parse func([]byte) (T, error)) func(io.Reader) (T, error) {
	return func(r io.Reader) (T, error) {
		data, err := io.ReadAll(r)
		if err != nil {
			var zero T
			return zero, err
		}
		return parse(data)
	}
}

// retry runs the retry loop (docs/protocol.md, Daemon connection) for one request body:
// parse turns a JSON reply body (read as a stream) into T, warm reports a
// warm-up error in it.
func retry[T any](c *Client, ctx context.Context, body []byte, parse func(io.Reader) (T, error), warm func(T) *sdk.Error) (T, error) {
	ctx, done := c.withStop(ctx)
	defer done()
	var zero T
	var last *failure
	delay := c.opts.InitialDelay
	for {
		ep, idx, gen := c.current()
		var res T
		err := c.post(ctx, ep, body, func(r io.Reader) (err error) {
			res, err = parse(r)
			return err
		})
		if m := (*errMalformed)(nil); errors.As(err, &m) {
			err = &failure{"refused", "daemon service refused: " + m.msg,
				fmt.Sprintf("malformed reply from %s: %s", ep.Logged, m.msg), err}
		} else if err == nil {
			if w := warm(res); w != nil {
				err = &failure{"warmup", "starting up checking blocks",
					fmt.Sprintf("%s is warming up: %s", ep.Logged, w.DaemonMessage), w}
			}
		}
		if err == nil {
			c.restored(ep)
			return res, nil
		}
		var f *failure
		if !errors.As(err, &f) {
			return zero, err
		}
		if ctx.Err() != nil {
			return zero, c.unavailable(ctx, last, f)
		}
		last = f
		c.logFailure(f)
		if delay >= c.opts.MaxDelay && c.failover(idx, gen) {
			delay = c.opts.InitialDelay
			continue
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, c.unavailable(ctx, last, f)
		case <-t.C:
		}
		delay = min(delay*2, c.opts.MaxDelay)
	}
}

// unavailable builds the error returned when the caller's context ends: it
// names the last real failure (not the cancellation itself when an earlier
// attempt failed for another reason).
func (c *Client) unavailable(ctx context.Context, last, cur *failure) error {
	f := cur
	if last != nil && (cur.err == nil || errors.Is(cur.err, context.Canceled) ||
		errors.Is(cur.err, context.DeadlineExceeded)) {
		f = last
	}
	if c.stop.Err() != nil {
		return &sdk.Error{Kind: sdk.KindUnavailable, Message: "daemon client closed", Err: ctx.Err()}
	}
	return &sdk.Error{Kind: sdk.KindUnavailable, Message: "daemon unavailable: " + f.desc, Err: ctx.Err()}
}

// logFailure logs f at most once per LogInterval per failure kind.
func (c *Client) logFailure(f *failure) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	c.failing = true
	now := time.Now()
	if t, ok := c.lastLog[f.key]; ok && now.Sub(t) < c.opts.LogInterval {
		return
	}
	c.lastLog[f.key] = now
	c.log.Error(f.line+"  Retrying occasionally...", "detail", f.desc)
}

// restored logs "connection restored" on the first success after failures.
func (c *Client) restored(ep Endpoint) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.failing {
		c.failing = false
		clear(c.lastLog)
		c.log.Info("connection restored", "url", ep.Logged)
	}
}
