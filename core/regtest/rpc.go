package regtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// RPCError is an error object returned by the daemon.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// btcd error codes tests commonly check.
const (
	ErrCodeDeserialization = -22 // sendrawtransaction: decode failed
	ErrCodeVerify          = -25 // inputs unknown or already spent
	ErrCodeVerifyRejected  = -26 // rejected by mempool policy
	ErrCodeNoTxInfo        = -5  // unknown transaction or block
)

// RPCCode returns the daemon error code carried by err, or 0 if err is not
// (or does not wrap) an *RPCError.
func RPCCode(err error) int {
	var re *RPCError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// Request is one entry of a batch.
type Request struct {
	Method string
	Params []any
}

// Response is one answer of a batch: either Result or Err is set.
type Response struct {
	Result json.RawMessage
	Err    error
}

// Client is a minimal JSON-RPC client for btcd (HTTP Basic auth, no TLS).
// btcd closes the connection after every reply, so keep-alives are off; use
// Batch to amortise connection set-up over many calls.
type Client struct {
	host, user, pass string
	hc               *http.Client
	id               atomic.Uint64
}

// NewClient returns a client for the daemon at hostport ("127.0.0.1:18443").
func NewClient(hostport, user, pass string) *Client {
	return &Client{
		host: hostport, user: user, pass: pass,
		hc: &http.Client{
			Timeout:   5 * time.Minute,
			Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		},
	}
}

// URL returns "user:pass@host:port", the daemon_url form used by the
// configuration of Amber's btcd backend.
func (c *Client) URL() string { return c.user + ":" + c.pass + "@" + c.host }

// HostPort returns the daemon's RPC address.
func (c *Client) HostPort() string { return c.host }

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
	ID     *uint64         `json:"id"`
}

func (c *Client) newRequest(method string, params []any) rpcRequest {
	if params == nil {
		params = []any{}
	}
	return rpcRequest{JSONRPC: "1.0", ID: c.id.Add(1), Method: method, Params: params}
}

// Call sends one request and returns its raw result. A daemon error is an
// *RPCError (see RPCCode).
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	body, err := c.post(ctx, c.newRequest(method, params))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	res, err := parseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return res, nil
}

// Batch sends reqs as one JSON-RPC batch; btcd runs them in order. The error
// is non-nil only if the batch as a whole failed; per-call errors are in the
// responses.
func (c *Client) Batch(ctx context.Context, reqs []Request) ([]Response, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	batch := make([]rpcRequest, len(reqs))
	ids := make([]uint64, len(reqs))
	for i, r := range reqs {
		batch[i] = c.newRequest(r.Method, r.Params)
		ids[i] = batch[i].ID
	}
	body, err := c.post(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("batch of %d: %w", len(reqs), err)
	}
	out, err := parseBatch(body, ids)
	if err != nil {
		return nil, fmt.Errorf("batch of %d: %w", len(reqs), err)
	}
	return out, nil
}

func (c *Client) post(ctx context.Context, payload any) ([]byte, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.host+"/", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("http %d: bad rpc user or password", resp.StatusCode)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("http %d: empty reply", resp.StatusCode)
	}
	return body, nil
}

// parseResponse decodes a single JSON-RPC reply.
func parseResponse(body []byte) (json.RawMessage, error) {
	var r rpcResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decode reply: %w", err)
	}
	if r.Error != nil {
		return nil, r.Error
	}
	return r.Result, nil
}

// parseBatch decodes a batch reply and orders it by the request ids.
func parseBatch(body []byte, ids []uint64) ([]Response, error) {
	var rs []rpcResponse
	if err := json.Unmarshal(body, &rs); err != nil {
		// A batch-level failure comes back as a single object.
		if _, err1 := parseResponse(body); err1 != nil {
			return nil, err1
		}
		return nil, fmt.Errorf("decode batch reply: %w", err)
	}
	pos := make(map[uint64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]Response, len(ids))
	seen := make([]bool, len(ids))
	for _, r := range rs {
		if r.ID == nil {
			continue
		}
		i, ok := pos[*r.ID]
		if !ok || seen[i] {
			return nil, fmt.Errorf("batch reply: unexpected id %d", *r.ID)
		}
		seen[i] = true
		if r.Error != nil {
			out[i].Err = r.Error
		} else {
			out[i].Result = r.Result
		}
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("batch reply: no answer for request %d (id %d)", i, ids[i])
		}
	}
	return out, nil
}
