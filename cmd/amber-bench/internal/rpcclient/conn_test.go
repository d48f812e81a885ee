package rpcclient

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestParseMessage(t *testing.T) {
	id := func(n uint64) *uint64 { return &n }
	tests := []struct {
		line    string
		id      *uint64
		method  string
		params  string
		result  string
		code    int
		wantErr bool
	}{
		{line: `{"jsonrpc":"2.0","id":3,"result":{"a":1}}`, id: id(3), result: `{"a":1}`},
		{line: `{"id":4,"error":{"code":-101,"message":"excessive resource usage"}}`, id: id(4), code: -101},
		{line: `{"method":"blockchain.headers.subscribe","params":[{"height":1}]}`, method: "blockchain.headers.subscribe", params: `[{"height":1}]`},
		{line: `{"id":null,"error":{"code":-32700,"message":"x"}}`, code: -32700},
		{line: `{"id":"x","result":1}`, wantErr: true},
		{line: `{}`, wantErr: true},
		{line: `[`, wantErr: true},
	}
	for _, tt := range tests {
		m, err := ParseMessage([]byte(tt.line))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.line, err)
			continue
		}
		if err != nil {
			continue
		}
		if (m.ID == nil) != (tt.id == nil) || (m.ID != nil && *m.ID != *tt.id) {
			t.Errorf("%s: id = %v", tt.line, m.ID)
		}
		if m.Method != tt.method || string(m.Result) != tt.result || string(m.Params) != tt.params {
			t.Errorf("%s: method %q params %s result %s", tt.line, m.Method, m.Params, m.Result)
		}
		if (m.Err == nil) != (tt.code == 0) || (m.Err != nil && m.Err.Code != tt.code) {
			t.Errorf("%s: err reply %v", tt.line, m.Err)
		}
	}
}

// A server that answers an error, sends a notification, then hangs up: the
// client maps the error, counts the notification and fails pending calls.
func TestErrorNotificationAndClose(t *testing.T) {
	a, b := net.Pipe()
	c := New(a)
	go func() {
		r := bufio.NewReader(b)
		r.ReadBytes('\n') // request 1
		b.Write([]byte(`{"method":"blockchain.scripthash.subscribe","params":["x","y"]}` + "\n"))
		b.Write([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-101,"message":"excessive resource usage"}}` + "\n"))
		r.ReadBytes('\n') // request 2, never answered
		b.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Call(ctx, "blockchain.scripthash.get_history", "ab")
	var rerr *Error
	if !errors.As(err, &rerr) || rerr.Code != -101 {
		t.Fatalf("first call: %v, want rpc error -101", err)
	}
	if _, err := c.Call(ctx, "server.ping"); !errors.Is(err, ErrClosed) {
		t.Fatalf("second call: %v, want ErrClosed", err)
	}
	if n := c.Notifications(); n != 1 {
		t.Fatalf("notifications = %d, want 1", n)
	}
}

// OnNotify sees every notification, with its params, in arrival order, on
// a connection with a tiny read buffer (lines longer than the buffer).
func TestOnNotify(t *testing.T) {
	a, b := net.Pipe()
	type note struct{ method, params string }
	got := make(chan note, 4)
	c := NewOptions(a, Options{ReadBuffer: 16, OnNotify: func(m Message, at time.Time) {
		if at.IsZero() {
			t.Error("zero arrival time")
		}
		got <- note{m.Method, string(m.Params)}
	}})
	defer c.Close()
	go func() {
		r := bufio.NewReader(b)
		r.ReadBytes('\n')
		b.Write([]byte(`{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{"height":7,"hex":"00"}]}` + "\n"))
		b.Write([]byte(`{"jsonrpc":"2.0","method":"blockchain.scripthash.subscribe","params":["ab",null]}` + "\n"))
		b.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":"pong"}` + "\n"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Call(ctx, "server.ping")
	if err != nil || string(res) != `"pong"` {
		t.Fatalf("call: %s, %v", res, err)
	}
	want := []note{
		{"blockchain.headers.subscribe", `[{"height":7,"hex":"00"}]`},
		{"blockchain.scripthash.subscribe", `["ab",null]`},
	}
	for _, w := range want {
		if n := <-got; n != w {
			t.Fatalf("notification %+v, want %+v", n, w)
		}
	}
	if n := c.Notifications(); n != 2 {
		t.Fatalf("notifications = %d, want 2", n)
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{"id":1,"result":null}`))
	f.Add([]byte(`{"id":2,"error":{"code":1,"message":"m"}}`))
	f.Add([]byte(`{"method":"x","params":[]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := ParseMessage(line)
		if err == nil && m.ID == nil && m.Method == "" && m.Err == nil {
			t.Fatalf("accepted %q without id, method or error", line)
		}
	})
}
