package daemonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
	"github.com/amber-electrum/amber/sdk"
)

func TestCall(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("getblockcount", fakedaemon.Constant(42))
	f.Handle("getrawtransaction", func([]json.RawMessage) (any, *fakedaemon.Error) {
		return nil, &fakedaemon.Error{Code: -5, Message: "No such mempool or blockchain transaction"}
	})
	tests := []struct {
		name   string
		creds  string
		method string
		result string
		kind   sdk.Kind
		code   int
	}{
		{name: "ok", creds: "u:p", method: "getblockcount", result: "42"},
		{name: "daemon error passthrough", creds: "u:p", method: "getrawtransaction", kind: sdk.KindDaemon, code: -5},
		{name: "unknown method", creds: "u:p", method: "nosuch", kind: sdk.KindDaemon, code: -32601},
		{name: "bad password is a refusal", creds: "u:wrong", method: "getblockcount", kind: sdk.KindUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, fastOpts(endpoint(t, f, tc.creds)))
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			before := f.Requests()
			res, err := c.Call(ctx, tc.method)
			if tc.result != "" {
				if err != nil || string(res) != tc.result {
					t.Fatalf("got %s, %v", res, err)
				}
				return
			}
			var e *sdk.Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.DaemonCode != tc.code {
				t.Fatalf("got %#v, want kind %v code %d", err, tc.kind, tc.code)
			}
			if tc.kind == sdk.KindDaemon && f.Requests()-before != 1 {
				t.Fatalf("daemon error was retried: %d requests", f.Requests()-before)
			}
			if tc.kind == sdk.KindUnavailable && !strings.Contains(err.Error(), "service refused by "+f.HostPort()+": HTTP 401") {
				t.Fatalf("error %q does not say what failed", err)
			}
		})
	}
}

func TestBatchOrdering(t *testing.T) {
	f := fakedaemon.New(t)
	f.SetReverse(true)
	f.Handle("getblockhash", func(p []json.RawMessage) (any, *fakedaemon.Error) {
		var h int
		_ = json.Unmarshal(p[0], &h)
		if h > 3 {
			return nil, &fakedaemon.Error{Code: -8, Message: "Block height out of range"}
		}
		return strings.Repeat(string(rune('a'+h)), 4), nil
	})
	c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
	rs, err := c.BatchSame(context.Background(), "getblockhash", [][]any{{0}, {1}, {2}, {3}, {4}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`"aaaa"`, `"bbbb"`, `"cccc"`, `"dddd"`} {
		if rs[i].Err != nil || string(rs[i].Result) != want {
			t.Fatalf("item %d: %+v, want %s", i, rs[i], want)
		}
	}
	if rs[4].Err == nil || rs[4].Err.DaemonCode != -8 {
		t.Fatalf("item 4: %+v", rs[4])
	}
	if !strings.Contains(f.Bodies()[0], `"jsonrpc":"1.0"`) {
		t.Fatalf("batch body lacks jsonrpc: %s", f.Bodies()[0])
	}
}

func TestWarmupRetry(t *testing.T) {
	for _, batch := range []bool{false, true} {
		f := fakedaemon.New(t)
		n := 0
		f.Handle("getblockcount", func([]json.RawMessage) (any, *fakedaemon.Error) {
			n++
			if n <= 2 {
				return nil, &fakedaemon.Error{Code: -28, Message: "Loading block index..."}
			}
			return 7, nil
		})
		c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
		var got string
		if batch {
			rs, err := c.Batch(context.Background(), []Request{{Method: "getblockcount"}})
			if err != nil || rs[0].Err != nil {
				t.Fatalf("batch: %+v %v", rs, err)
			}
			got = string(rs[0].Result)
		} else {
			res, err := c.Call(context.Background(), "getblockcount")
			if err != nil {
				t.Fatal(err)
			}
			got = string(res)
		}
		if got != "7" || n != 3 {
			t.Fatalf("batch=%v: got %s after %d calls, want 7 after 3", batch, got, n)
		}
	}
}

func TestWarmupUntilDeadline(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("getblockcount", func([]json.RawMessage) (any, *fakedaemon.Error) {
		return nil, &fakedaemon.Error{Code: -28, Message: "Verifying blocks..."}
	})
	c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, "getblockcount")
	if sdk.KindOf(err) != sdk.KindUnavailable || !strings.Contains(err.Error(), "warming up: Verifying blocks...") {
		t.Fatalf("got %v", err)
	}
}

func TestRefusalThenSuccess(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("getblockcount", fakedaemon.Constant(1))
	f.SetPre(func(w http.ResponseWriter, n int64) bool {
		if n <= 3 { // a proxy or an unready daemon: an HTML 401 page
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("<html>401</html>"))
			return true
		}
		return false
	})
	c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
	res, err := c.Call(context.Background(), "getblockcount")
	if err != nil || string(res) != "1" || f.Requests() != 4 {
		t.Fatalf("got %s, %v after %d requests", res, err, f.Requests())
	}
}

func TestConnectionRefusedFailover(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("getblockcount", fakedaemon.Constant(9))
	dead, err := ParseURL("u:p@"+fakedaemon.RefusedAddr(t), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	live := endpoint(t, f, "u:p")
	c := newClient(t, fastOpts(dead, live))
	res, err := c.Call(context.Background(), "getblockcount")
	if err != nil || string(res) != "9" {
		t.Fatalf("got %s, %v", res, err)
	}
	if got := c.Current().Logged; got != live.Logged {
		t.Fatalf("current URL %s, want %s", got, live.Logged)
	}
	// SetURLs goes back to the first entry of the new list.
	if err := c.SetURLs([]Endpoint{dead, live}); err != nil {
		t.Fatal(err)
	}
	if got := c.Current().Logged; got != dead.Logged {
		t.Fatalf("after SetURLs current is %s, want %s", got, dead.Logged)
	}
}

func TestDeadlineIsUnavailable(t *testing.T) {
	addr := fakedaemon.RefusedAddr(t)
	dead, _ := ParseURL("u:p@"+addr, 1, false)
	c := newClient(t, fastOpts(dead))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Call(ctx, "getblockcount")
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindUnavailable {
		t.Fatalf("got %#v", err)
	}
	if !strings.Contains(e.Message, "connection refused to "+addr) {
		t.Fatalf("message %q does not name the failure", e.Message)
	}
	// Batches fail the same way.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c.Batch(ctx2, []Request{{Method: "getblockcount"}}); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("batch: got %v", err)
	}
}

func TestCloseStopsInFlight(t *testing.T) {
	dead, _ := ParseURL("u:p@"+fakedaemon.RefusedAddr(t), 1, false)
	c := newClient(t, fastOpts(dead))
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), "getblockcount")
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if err := <-done; sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("got %v", err)
	}
}

func TestCookieFile(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("getblockcount", fakedaemon.Constant(3))
	f.SetAuth("__cookie__", "aa11")
	path := filepath.Join(t.TempDir(), ".cookie")
	if err := os.WriteFile(path, []byte("__cookie__:aa11"), 0o600); err != nil {
		t.Fatal(err)
	}
	ep, err := ParseURL(f.HostPort(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	o := fastOpts(ep)
	o.CookieFile = path
	c := newClient(t, o)
	if res, err := c.Call(context.Background(), "getblockcount"); err != nil || string(res) != "3" {
		t.Fatalf("got %s, %v", res, err)
	}
	// The daemon restarts with a new cookie: the client re-reads the file
	// after the 401.
	f.SetAuth("__cookie__", "bb22")
	if err := os.WriteFile(path, []byte("__cookie__:bb22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Call(context.Background(), "getblockcount"); err != nil || string(res) != "3" {
		t.Fatalf("after new cookie: got %s, %v", res, err)
	}
}

func TestParseCookie(t *testing.T) {
	tests := []struct {
		in, user, pass string
		bad            bool
	}{
		{in: "__cookie__:abc\n", user: "__cookie__", pass: "abc"},
		{in: "u:p:q", user: "u", pass: "p:q"},
		{in: "nocolon", bad: true},
		{in: ":p", bad: true},
		{in: "a:b\nc:d", bad: true},
	}
	for _, tc := range tests {
		u, p, err := parseCookie([]byte(tc.in))
		if tc.bad != (err != nil) || u != tc.user || p != tc.pass {
			t.Errorf("%q: got %q %q %v", tc.in, u, p, err)
		}
	}
}

func TestAvailable(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("estimatesmartfee", func([]json.RawMessage) (any, *fakedaemon.Error) {
		return nil, &fakedaemon.Error{Code: -32602, Message: "wrong number of params"}
	})
	f.Handle("getnetworkinfo", func([]json.RawMessage) (any, *fakedaemon.Error) {
		return nil, &fakedaemon.Error{Code: -1, Message: "Command unimplemented"}
	})
	c := newClient(t, fastOpts(endpoint(t, f, "u:p")))
	tests := []struct {
		method string
		want   bool
	}{
		{"estimatesmartfee", true}, {"getnetworkinfo", false}, {"nosuch", false},
	}
	for _, tc := range tests {
		for range 2 {
			got, err := c.Available(context.Background(), tc.method)
			if err != nil || got != tc.want {
				t.Fatalf("%s: got %v, %v", tc.method, got, err)
			}
		}
	}
	if n := f.Requests(); n != 3 {
		t.Fatalf("%d requests, want 3 (answers cached)", n)
	}
	c.SetAvailable("estimatesmartfee", false)
	if got, _ := c.Available(context.Background(), "estimatesmartfee"); got {
		t.Fatal("SetAvailable ignored")
	}
}
