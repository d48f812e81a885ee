package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
)

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("error %d: %s", e.Code, e.Message) }

// call sends one JSON-RPC 2.0 request over a newline-framed TCP connection
// and returns the raw result.
func call(ctx context.Context, addr, method string, params map[string]any) (json.RawMessage, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot reach amberd's admin RPC at %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return nil, fmt.Errorf("send to %s: %w", addr, err)
	}
	r := bufio.NewReaderSize(conn, 1<<16)
	line, err := r.ReadBytes('\n')
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
