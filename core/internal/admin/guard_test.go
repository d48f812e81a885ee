package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/internal/transport"
)

const testCookie = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, line, cookie string
		want               Verdict
	}{
		{"request", `{"jsonrpc":"2.0","method":"getinfo","id":1}`, "", Accept},
		{"batch", `[{"jsonrpc":"2.0","method":"getinfo","id":1}]`, "", Accept},
		{"leading space", `  {"method":"getinfo","id":1}`, "", Accept},
		{"curl request line", "POST / HTTP/1.1", "", HTTP},
		{"HTTP/1.0 GET", "GET /sessions HTTP/1.0\r", "", HTTP},
		{"HTTP/0.9 GET", "GET /", "", HTTP},
		{"header", "Host: 127.0.0.1:8000", "", HTTP},
		{"content-type header", "Content-Type: application/json", "", HTTP},
		{"response line", "HTTP/1.1 200 OK", "", HTTP},
		{"bare word", "stop", "", NotJSON},
		{"string", `"stop"`, "", NotJSON},
		{"number", `5`, "", NotJSON},
		{"broken object", `{"method":"stop"`, "", NotJSON},
		{"cookie ok", `{"method":"getinfo","id":1,"auth":"` + testCookie + `"}`, testCookie, Accept},
		{"cookie missing", `{"method":"getinfo","id":1}`, testCookie, NoAuth},
		{"cookie wrong", `{"method":"getinfo","id":1,"auth":"` + strings.Repeat("0", 64) + `"}`, testCookie, NoAuth},
		{"cookie not a string", `{"method":"getinfo","id":1,"auth":1}`, testCookie, NoAuth},
		{"cookie in every batch item", `[{"method":"a","auth":"` + testCookie + `"},{"method":"stop"}]`, testCookie, NoAuth},
		{"cookie batch ok", `[{"method":"a","auth":"` + testCookie + `"},{"method":"b","auth":"` + testCookie + `"}]`, testCookie, Accept},
		{"empty batch with cookie", `[]`, testCookie, NoAuth},
		{"HTTP with cookie set", "POST / HTTP/1.1", testCookie, HTTP},
	} {
		if got := Check([]byte(tc.line), tc.cookie); got != tc.want {
			t.Errorf("%s: Check(%q) = %v, want %v", tc.name, tc.line, got, tc.want)
		}
	}
}

// guardRig serves the admin dispatcher on a real rpc:// listener whose
// connections go through a Guard.
func guardRig(t *testing.T, cookie string) (*Server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mgr := session.NewManager(quiet)
	srv := New(Options{Version: "Amber test", Sessions: mgr, Logger: quiet, Stop: func() { t.Error("stop was executed") }})
	ln, err := transport.Listen(ctx, transport.Service{Proto: "rpc", Host: "127.0.0.1"}, transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{Cookie: cookie, Logger: quiet}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go mgr.Serve(ctx, g.Wrap(c), srv, session.AdminProfile())
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = mgr.Shutdown(sctx)
		scancel()
		cancel()
	})
	return srv, ln.Addr().String()
}

// exchange writes raw to addr and returns everything read until the server
// closes the connection.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (the server must close the connection)", err)
	}
	return string(out)
}

// TestGuardRefusesHTTP (issue 11.6): what curl --http0.9 -X POST and a
// HTTP/1.1 POST send to the admin port executes nothing and gets nothing.
func TestGuardRefusesHTTP(t *testing.T) {
	body := `{"jsonrpc":"2.0","method":"stop","id":1}` + "\n" + `{"jsonrpc":"2.0","method":"sessions","id":2}` + "\n"
	for name, raw := range map[string]string{
		"curl --http0.9 -X POST": "POST / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n" +
			"Content-Length: 84\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" + body,
		"HTTP/1.1 POST, JSON":  "POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\r\n" + body,
		"HTTP/1.0 GET":         "GET / HTTP/1.0\r\n\r\n" + body,
		"junk then JSON-RPC":   "hello\n" + body,
		"JSON then HTTP":       "{}\nPOST / HTTP/1.1\r\n\r\n" + body,
		"HTTP/0.9 simple line": "GET /\r\n" + body,
	} {
		t.Run(name, func(t *testing.T) {
			srv, addr := guardRig(t, "")
			out := exchange(t, addr, raw)
			if strings.Contains(out, "result") {
				t.Errorf("got a result: %q", out)
			}
			for m, n := range srv.RequestCounts() {
				if m != invalidMethod {
					t.Errorf("%s was executed %d times", m, n)
				}
			}
		})
	}
}

// TestGuardCookie: with a cookie every request must carry it; a wrong or
// missing one is answered with an error and the connection closed.
func TestGuardCookie(t *testing.T) {
	srv, addr := guardRig(t, testCookie)
	for name, line := range map[string]string{
		"missing": `{"jsonrpc":"2.0","method":"stop","id":7}`,
		"wrong":   `{"jsonrpc":"2.0","method":"stop","id":7,"auth":"` + strings.Repeat("f", 64) + `"}`,
		"batch":   `[{"jsonrpc":"2.0","method":"getinfo","id":6,"auth":"` + testCookie + `"},{"jsonrpc":"2.0","method":"stop","id":7}]`,
	} {
		out := exchange(t, addr, line+"\n"+`{"jsonrpc":"2.0","method":"stop","id":8,"auth":"`+testCookie+`"}`+"\n")
		if !regexp.MustCompile(`^\{"jsonrpc":"2.0","error":\{"code":-32600,"message":"authentication required[^"]*"\},"id":(7|null)\}\n$`).MatchString(out) {
			t.Errorf("%s cookie: got %q, want one authentication error and the close", name, out)
		}
	}
	if n := len(srv.RequestCounts()); n != 0 {
		t.Errorf("requests executed without the cookie: %v", srv.RequestCounts())
	}
	// The right cookie: answered, and the connection stays open.
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	for id := 1; id <= 2; id++ {
		req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "groups", "id": id, "auth": testCookie})
		c.Write(append(req, '\n'))
		line, err := rd.ReadBytes('\n')
		if err != nil || !bytes.Contains(line, []byte(`"result":[]`)) {
			t.Fatalf("request %d with the cookie: %q %v", id, line, err)
		}
	}
}

func TestCookieFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "rpc.cookie")
	c1, err := WriteCookie(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cookie mode %v, want 0600", st.Mode().Perm())
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(c1) {
		t.Errorf("cookie %q, want 64 hex digits", c1)
	}
	if got, err := ReadCookie(path); err != nil || got != c1 {
		t.Errorf("ReadCookie = %q %v, want %q", got, err, c1)
	}
	c2, err := WriteCookie(path)
	if err != nil || c2 == c1 {
		t.Fatalf("second cookie %q %v: want a fresh one", c2, err)
	}
	if err := RemoveCookie(path, c1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a stale cookie removed the current file: %v", err)
	}
	if err := RemoveCookie(path, c2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cookie file left after RemoveCookie: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// FuzzCheck: Check never panics, and accepts only a JSON object or array
// (carrying the cookie when one is set).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"method":"a"}`, "POST / HTTP/1.1", `[{"auth":"x"}]`, "Host: a", `{"auth":"x","id":1}`, "\x00{"} {
		f.Add(s, "")
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, line, cookie string) {
		v := Check([]byte(line), cookie)
		if v != Accept {
			return
		}
		tr := bytes.TrimSpace([]byte(line))
		if !json.Valid(tr) || (tr[0] != '{' && tr[0] != '[') {
			t.Fatalf("accepted %q", line)
		}
		if cookie == "" {
			return
		}
		var doc any
		if err := json.Unmarshal(tr, &doc); err != nil {
			t.Fatalf("accepted %q: %v", line, err)
		}
		items, ok := doc.([]any)
		if !ok {
			items = []any{doc}
		}
		for _, it := range items {
			if m, ok := it.(map[string]any); !ok || m[AuthMember] != cookie {
				t.Fatalf("accepted %q without the cookie %q", line, cookie)
			}
		}
	})
}
