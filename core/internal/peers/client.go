package peers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// maxLine bounds one incoming message from a peer.
const maxLine = 4 << 20

// rpcError is an error object returned by a peer: the next port is tried.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("RPC error %d: %s", e.Code, e.Message) }

// client is a minimal newline-delimited JSON-RPC 2.0 client for one peer
// session. Requests may be issued concurrently; notifications (the peer's
// headers.subscribe pushes) are ignored.
type client struct {
	conn    net.Conn
	timeout time.Duration

	wmu     sync.Mutex
	mu      sync.Mutex
	nextID  int
	pending map[int]chan response
	err     error // set when the read loop ends
	done    chan struct{}
}

type response struct {
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

func newClient(conn net.Conn, timeout time.Duration) *client {
	c := &client{conn: conn, timeout: timeout, pending: map[int]chan response{}, done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *client) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

func (c *client) readLoop() {
	defer close(c.done)
	r := bufio.NewReaderSize(c.conn, 64<<10)
	var err error
	for {
		var line []byte
		line, err = readLine(r)
		if err != nil {
			break
		}
		var msg struct {
			ID     *int   `json:"id"`
			Method string `json:"method"`
			response
		}
		if json.Unmarshal(line, &msg) != nil || msg.ID == nil || msg.Method != "" {
			continue // notification or junk
		}
		c.mu.Lock()
		ch := c.pending[*msg.ID]
		delete(c.pending, *msg.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- msg.response
		}
	}
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

// readLine reads one newline-terminated message of at most maxLine bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, errors.New("peer message too large")
		}
		if err == nil {
			return bytes.TrimSpace(buf), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// call sends one request and decodes its result into out (numbers as
// json.Number when out is *any).
func (c *client) call(ctx context.Context, method string, params []any, out any) error {
	if params == nil {
		params = []any{}
	}
	ch := make(chan response, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: connection closed: %w", method, c.err)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	c.wmu.Lock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err = c.conn.Write(append(req, '\n'))
	c.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case resp := <-ch:
		if resp.Error != nil {
			return fmt.Errorf("%s: %w", method, resp.Error)
		}
		if err := decodeJSON(resp.Result, out); err != nil {
			return &badPeerError{fmt.Sprintf("%s returned malformed JSON", method)}
		}
		return nil
	case <-c.done:
		return fmt.Errorf("%s: connection closed", method)
	case <-timer.C:
		return fmt.Errorf("%s: no reply within %s", method, c.timeout)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func decodeJSON(b []byte, out any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(out)
}
