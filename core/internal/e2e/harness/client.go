package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RPCError is an Electrum error reply. Code 0 with Err set means the call
// never got a reply (connection closed, context done, encode error).
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Err     error  `json:"-"` // transport failure, when Code is 0
}

// Error formats the code and message, or the transport failure.
func (e *RPCError) Error() string {
	if e.Err != nil {
		return "transport: " + e.Err.Error()
	}
	return fmt.Sprintf("error %d: %s", e.Code, e.Message)
}

// Unwrap returns the transport error, if any.
func (e *RPCError) Unwrap() error { return e.Err }

// Notification is a server-initiated message (no id).
type Notification struct {
	Method string
	Params json.RawMessage
}

// message is any JSON-RPC object the server sends.
type message struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type reply struct {
	result json.RawMessage
	err    *RPCError
}

// Client is an Electrum JSON-RPC 2.0 client over a TCP connection, for
// tests. Calls may run concurrently; replies are matched by id. Lines that
// are neither a reply to a pending Call nor a notification (batch replies,
// replies to ids sent with Send, replies with a null id) are queued for
// ReadRaw. Notifications are queued without limit for Notifications.
type Client struct {
	conn   net.Conn
	wmu    sync.Mutex
	nextID int64

	mu      sync.Mutex
	pending map[string]chan reply
	closed  error

	notes *queue[Notification]
	raw   *queue[[]byte]
	done  chan struct{}

	// NoAutoVersion: Call does not send server.version by itself. By
	// default the first Call of another method is preceded by
	// server.version ["amber-e2e"] (protocol 1.4), since a server speaking
	// ElectrumX 1.19+'s rules refuses anything before it.
	NoAutoVersion bool
	versionSent   atomic.Bool
	versionOnce   sync.Once
}

// Dial connects to an Electrum TCP service at addr ("127.0.0.1:port") and
// closes the connection when the test ends. A connection failure fails the
// test.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := DialContext(ctx, addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialContext connects to an Electrum TCP service at addr. Close it when
// done.
func DialContext(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := &Client{
		conn:    conn,
		nextID:  1_000_000,
		pending: map[string]chan reply{},
		notes:   newQueue[Notification](),
		raw:     newQueue[[]byte](),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

// Close closes the connection; pending Calls fail.
func (c *Client) Close() error { return c.conn.Close() }

// Done is closed once the connection is closed (by either side).
func (c *Client) Done() <-chan struct{} { return c.done }

// Notifications returns the channel of server notifications, in arrival
// order. It is closed when the connection ends.
func (c *Client) Notifications() <-chan Notification { return c.notes.out }

// Send writes raw bytes to the connection unchanged (add the "\n" yourself).
func (c *Client) Send(raw []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(raw)
	return err
}

// ReadRaw returns the next line that was not a reply to a pending Call nor a
// notification, without its trailing newline.
func (c *Client) ReadRaw(ctx context.Context) ([]byte, error) {
	select {
	case b, ok := <-c.raw.out:
		if !ok {
			return nil, fmt.Errorf("connection closed: %w", c.closeErr())
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Call sends one request with positional params and waits for its reply.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, *RPCError) {
	if params == nil {
		params = []any{}
	}
	return c.call(ctx, method, params)
}

// CallNamed sends one request with by-name params.
func (c *Client) CallNamed(ctx context.Context, method string, params map[string]any) (json.RawMessage, *RPCError) {
	return c.call(ctx, method, params)
}

func (c *Client) call(ctx context.Context, method string, params any) (json.RawMessage, *RPCError) {
	if method == "server.version" {
		c.versionSent.Store(true)
	} else if !c.NoAutoVersion && !c.versionSent.Load() {
		c.versionOnce.Do(func() {
			if !c.versionSent.Load() {
				c.call(ctx, "server.version", []any{"amber-e2e"})
			}
		})
	}
	c.mu.Lock()
	if c.closed != nil {
		err := c.closed
		c.mu.Unlock()
		return nil, &RPCError{Err: err}
	}
	c.nextID++
	id := strconv.FormatInt(c.nextID, 10)
	ch := make(chan reply, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": json.RawMessage(id), "method": method, "params": params})
	if err != nil {
		return nil, &RPCError{Err: fmt.Errorf("encode %s: %w", method, err)}
	}
	if err := c.Send(append(req, '\n')); err != nil {
		return nil, &RPCError{Err: fmt.Errorf("send %s: %w", method, err)}
	}
	select {
	case r := <-ch:
		return r.result, r.err
	case <-ctx.Done():
		return nil, &RPCError{Err: fmt.Errorf("%s: %w", method, ctx.Err())}
	}
}

// CallInto calls method and decodes the result into v. The error is an
// *RPCError or a decode error.
func (c *Client) CallInto(ctx context.Context, v any, method string, params ...any) error {
	res, rerr := c.Call(ctx, method, params...)
	if rerr != nil {
		return rerr
	}
	if err := json.Unmarshal(res, v); err != nil {
		return fmt.Errorf("%s: decode %s: %w", method, res, err)
	}
	return nil
}

// Negotiate sends server.version [name, version] and returns the result.
func (c *Client) Negotiate(ctx context.Context, name, version string) ([]string, error) {
	var v []string
	err := c.CallInto(ctx, &v, "server.version", name, version)
	return v, err
}

func (c *Client) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *Client) readLoop() {
	r := bufio.NewReaderSize(c.conn, 1<<20)
	var err error
	for {
		var line []byte
		line, err = r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			c.dispatch(bytes.Clone(line[:len(line)-1]))
		}
		if err != nil {
			break
		}
	}
	c.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		err = errors.New("closed by client")
	}
	c.mu.Lock()
	c.closed = fmt.Errorf("connection ended: %w", err)
	for id, ch := range c.pending {
		ch <- reply{err: &RPCError{Err: c.closed}}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	c.notes.close()
	c.raw.close()
	close(c.done)
}

func (c *Client) dispatch(line []byte) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var m message
		if json.Unmarshal(trimmed, &m) == nil {
			id := string(bytes.TrimSpace(m.ID))
			if m.Method != "" && (id == "" || id == "null") {
				c.notes.push(Notification{Method: m.Method, Params: m.Params})
				return
			}
			c.mu.Lock()
			ch, ok := c.pending[id]
			if ok {
				delete(c.pending, id)
			}
			c.mu.Unlock()
			if ok {
				if m.Error != nil {
					ch <- reply{err: m.Error}
				} else {
					ch <- reply{result: m.Result}
				}
				return
			}
		}
	}
	c.raw.push(line)
}

// queue is an unbounded FIFO feeding a channel, so the reader never blocks.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	wake   chan struct{}
	closed bool
	out    chan T
}

func newQueue[T any]() *queue[T] {
	q := &queue[T]{wake: make(chan struct{}, 1), out: make(chan T)}
	go q.pump()
	return q
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.signal()
}

func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue[T]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue[T]) pump() {
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			closed := q.closed
			q.mu.Unlock()
			if closed {
				close(q.out)
				return
			}
			<-q.wake
			continue
		}
		v := q.items[0]
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
		q.mu.Unlock()
		q.out <- v
	}
}
