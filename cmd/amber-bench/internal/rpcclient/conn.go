package rpcclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Error is a JSON-RPC error reply.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// ErrClosed is returned (wrapped) by Call once the connection is gone.
var ErrClosed = errors.New("connection closed")

// Conn is one Electrum connection.
type Conn struct {
	c       net.Conn
	wmu     sync.Mutex
	w       *bufio.Writer
	nextID  atomic.Uint64
	mu      sync.Mutex
	pending map[uint64]chan reply
	err     error // set once the read loop ended
	done    chan struct{}
	notes   atomic.Int64
	opts    Options
}

// Options tune a connection. The zero value is what Dial and New use.
type Options struct {
	// ReadBuffer is the size of the read buffer (default 64 KiB). Longer
	// lines still work; many idle connections want a small buffer.
	ReadBuffer int
	// OnNotify, if set, is called on the connection's read goroutine for
	// every server notification (a message with a method and no id), with
	// the time the line was read. It must not block for long: replies wait
	// behind it.
	OnNotify func(m Message, at time.Time)
}

type reply struct {
	result json.RawMessage
	err    error
}

// Dial connects to addr (host:port) over TCP.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	return DialOptions(ctx, addr, Options{})
}

// DialOptions connects to addr (host:port) over TCP with options o.
func DialOptions(ctx context.Context, addr string, o Options) (*Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return NewOptions(c, o), nil
}

// DialVersion connects to the Electrum server at addr and negotiates
// protocol version with server.version (client name client), which the
// server requires before any other request.
func DialVersion(ctx context.Context, addr, client, version string) (*Conn, error) {
	c, err := Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if _, err := c.Call(ctx, "server.version", client, version); err != nil {
		c.Close()
		return nil, fmt.Errorf("server.version: %w", err)
	}
	return c, nil
}

// New wraps an established connection and starts its read loop.
func New(c net.Conn) *Conn { return NewOptions(c, Options{}) }

// NewOptions wraps an established connection with options o and starts its
// read loop.
func NewOptions(c net.Conn, o Options) *Conn {
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = 64 << 10
	}
	cn := &Conn{c: c, w: bufio.NewWriterSize(c, min(4096, o.ReadBuffer)), pending: map[uint64]chan reply{},
		done: make(chan struct{}), opts: o}
	go cn.readLoop()
	return cn
}

// Close closes the connection; pending calls fail with ErrClosed.
func (c *Conn) Close() error { return c.c.Close() }

// Done is closed when the connection is gone; Err then tells why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is the reason the read loop ended (nil while open).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Notifications returns how many server notifications arrived.
func (c *Conn) Notifications() int64 { return c.notes.Load() }

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

// Call sends one request and waits for its reply or ctx. An error reply is
// returned as *Error.
func (c *Conn) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	id := c.nextID.Add(1)
	line, err := json.Marshal(request{JSONRPC: "2.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	ch := make(chan reply, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.pending[id] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	_, err = c.w.Write(append(line, '\n'))
	if err == nil {
		err = c.w.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		c.forget(id)
		return nil, fmt.Errorf("%s: %w: %w", method, ErrClosed, err)
	}
	select {
	case r := <-ch:
		return r.result, r.err
	case <-ctx.Done():
		c.forget(id)
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (c *Conn) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Message is one decoded incoming line: a reply (ID set) or a notification
// (Method set, with its Params).
type Message struct {
	ID     *uint64
	Method string
	Params json.RawMessage
	Result json.RawMessage
	Err    *Error
}

// ParseMessage decodes one incoming JSON-RPC line.
func ParseMessage(line []byte) (Message, error) {
	var raw struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return Message{}, fmt.Errorf("bad message: %w", err)
	}
	m := Message{Method: raw.Method, Params: raw.Params, Result: raw.Result}
	if raw.Error != nil {
		m.Err = &Error{Code: raw.Error.Code, Message: raw.Error.Message}
	}
	if len(raw.ID) > 0 && string(raw.ID) != "null" {
		id, err := strconv.ParseUint(string(raw.ID), 10, 64)
		if err != nil {
			return Message{}, fmt.Errorf("bad message id %s", raw.ID)
		}
		m.ID = &id
	}
	if m.ID == nil && m.Method == "" && m.Err == nil {
		return Message{}, errors.New("bad message: neither reply nor notification")
	}
	return m, nil
}

func (c *Conn) readLoop() {
	r := bufio.NewReaderSize(c.c, c.opts.ReadBuffer)
	var err error
	for {
		var line []byte
		line, err = r.ReadBytes('\n')
		if err != nil {
			break
		}
		m, perr := ParseMessage(line)
		if perr != nil {
			err = perr
			break
		}
		if m.ID == nil {
			if m.Method != "" {
				c.notes.Add(1)
				if c.opts.OnNotify != nil {
					c.opts.OnNotify(m, time.Now())
				}
			}
			continue // a notification, or an error without id (ignored)
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch == nil {
			continue
		}
		if m.Err != nil {
			ch <- reply{err: m.Err}
		} else {
			ch <- reply{result: m.Result}
		}
	}
	c.c.Close()
	c.mu.Lock()
	c.err = fmt.Errorf("%w: %w", ErrClosed, err)
	for id, ch := range c.pending {
		ch <- reply{err: c.err}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.done)
}
