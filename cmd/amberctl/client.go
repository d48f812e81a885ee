package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
)

// rpcError is an error object in amberd's reply.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// connectError means amberd could not be reached at all.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// call sends one JSON-RPC 2.0 request with by-name params over a
// newline-framed TCP connection and returns the raw result. The reply may be
// of any size (the CLI has no inbound limit). A non-empty cookie is sent in
// the request's "auth" member (amberd's rpc_auth: cookie).
func call(ctx context.Context, host string, port int, method string, params map[string]any, cookie string) (json.RawMessage, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &connectError{err}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	msg := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
	if cookie != "" {
		msg["auth"] = cookie
	}
	req, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return nil, fmt.Errorf("send to %s: %w", addr, err)
	}
	line, err := bufio.NewReaderSize(conn, 1<<16).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read from %s: %w", addr, err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("bad reply from %s: %w", addr, err)
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	return resp.Result, nil
}
