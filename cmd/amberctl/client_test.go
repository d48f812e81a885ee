package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// fakeAdmin is a newline-JSON-RPC server on 127.0.0.1 that records each
// request and answers from a table keyed by method.
type fakeAdmin struct {
	ln      net.Listener
	answers map[string]string // method -> reply body after "id"
	got     chan map[string]any
}

func startFakeAdmin(t *testing.T, answers map[string]string) *fakeAdmin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAdmin{ln: ln, answers: answers, got: make(chan map[string]any, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeAdmin) serve(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return
	}
	var req map[string]any
	if json.Unmarshal(line, &req) != nil {
		return
	}
	f.got <- req
	body, ok := f.answers[req["method"].(string)]
	if !ok {
		body = `"error":{"code":-32601,"message":"unknown method"}`
	}
	id, _ := json.Marshal(req["id"])
	c.Write([]byte(`{"jsonrpc":"2.0","id":` + string(id) + `,` + body + "}\n"))
}

func (f *fakeAdmin) port() string { return strconv.Itoa(f.ln.Addr().(*net.TCPAddr).Port) }

func TestClientAgainstFakeAdmin(t *testing.T) {
	f := startFakeAdmin(t, map[string]string{
		"getinfo":    `"result":{"pid":7,"coin":"Bitcoin","sessions":{"count":1}}`,
		"query":      `"result":["Script: 6a","No history found","No UTXOs found","Balance: 0 XTN"]`,
		"reorg":      `"error":{"code":1,"message":"still catching up with daemon"}`,
		"disconnect": `"result":["unknown: 9"]`,
		"daemon_url": `"result":"now using daemon at 127.0.0.1:18443/"`,
		"sessions":   `"result":[]`,
	})
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		params     map[string]any
		stdout     string
		stderrPart string
	}{
		{"getinfo pretty", []string{"-p", f.port(), "getinfo"}, nil, 0, map[string]any{},
			"{\n    \"coin\": \"Bitcoin\",\n    \"pid\": 7,\n    \"sessions\": {\n        \"count\": 1\n    }\n}\n", ""},
		{"getinfo --json, port from env", []string{"--host", "127.0.0.1", "--json", "getinfo"}, map[string]string{"AMBER_RPC_PORT": f.port()}, 0,
			map[string]any{}, `{"pid":7,"coin":"Bitcoin","sessions":{"count":1}}` + "\n", ""},
		{"port from RPC_PORT", []string{"sessions"}, map[string]string{"RPC_PORT": f.port()}, 0, map[string]any{},
			"ID     Flags            Client Proto    Cost   XCost  Reqs   Txs    Subs    Recv Recv KB    Sent Sent KB      Time                  Peer\n", ""},
		{"query", []string{"--port", f.port(), "query", "-l", "5", "6a", "--limit=7", "bcrt1q"}, nil, 0,
			map[string]any{"items": []any{"6a", "bcrt1q"}, "limit": float64(7)},
			"Script: 6a\nNo history found\nNo UTXOs found\nBalance: 0 XTN\n", ""},
		{"reorg error", []string{"-p", f.port(), "reorg"}, nil, 1, map[string]any{"count": float64(3)},
			"", "error making request: still catching up with daemon (code 1)"},
		{"disconnect", []string{"-p", f.port(), "disconnect", "9", "all"}, nil, 0,
			map[string]any{"session_ids": []any{"9", "all"}}, "[\n    \"unknown: 9\"\n]\n", ""},
		{"daemon_url default", []string{"-p", f.port(), "daemon_url"}, nil, 0, map[string]any{"daemon_url": ""},
			"\"now using daemon at 127.0.0.1:18443/\"\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env = tc.env
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, getenv, &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errb.String())
			}
			if out.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", out.String(), tc.stdout)
			}
			if !strings.Contains(errb.String(), tc.stderrPart) {
				t.Errorf("stderr %q, want it to contain %q", errb.String(), tc.stderrPart)
			}
			req := <-f.got
			if req["jsonrpc"] != "2.0" || !reflect.DeepEqual(req["params"], tc.params) {
				t.Errorf("request %v, want jsonrpc 2.0 and params %v", req, tc.params)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	// A port nobody listens on: bind, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	none := func(string) string { return "" }
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-p", port, "getinfo"}, 1, "cannot connect - is amberd not running, or is " + port + " the wrong RPC port?\n"},
		{[]string{}, 2, "usage: amberctl"},
		{[]string{"-p", port, "frobnicate"}, 2, `unknown method "frobnicate"`},
		{[]string{"-p", port, "getinfo", "extra"}, 2, "takes no arguments"},
		{[]string{"-p", port, "reorg", "-1"}, 2, "not a non-negative integer"},
		{[]string{"-p", port, "query"}, 2, "need at least one script or address"},
		{[]string{"-p", port, "disconnect"}, 2, "need at least one argument"},
		{[]string{"--timeout", "0", "getinfo"}, 2, "positive number of seconds"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, none, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.stderr) || out.Len() != 0 {
			t.Errorf("amberctl %q: exit %d, stdout %q, stderr %q; want exit %d, stderr containing %q",
				tc.args, code, out.String(), errb.String(), tc.code, tc.stderr)
		}
	}
}
