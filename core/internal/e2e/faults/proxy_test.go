package faults

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestProxyModes drives a Proxy in front of a fake daemon through every
// mode and checks what a client sees.
func TestProxyModes(t *testing.T) {
	daemon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result":"echo ` + strings.ReplaceAll(string(body), `"`, `'`) + `","error":null,"id":1}`))
	}))
	defer daemon.Close()
	ctx := timeout(t, time.Minute)
	p, err := StartProxy(ctx, strings.TrimPrefix(daemon.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got := p.URL("u:p@127.0.0.1:1"); got != "u:p@"+p.Addr() {
		t.Errorf("URL = %q", got)
	}
	p.SetDelay(10 * time.Millisecond)
	type want struct {
		refused bool
		status  int
		body    string // substring
		json    bool
	}
	for _, tc := range []struct {
		mode Mode
		req  string
		want want
	}{
		{Pass, `{"id":7}`, want{status: 200, body: `echo {'id':7}`, json: true}},
		{Slow, `{"id":8}`, want{status: 200, body: `echo {'id':8}`, json: true}},
		{HTTPError, `{"id":9,"method":"x"}`, want{status: 500, body: `"id":9`, json: true}},
		{HTTPError, `[{"id":3},{"id":4}]`, want{status: 500, body: `"id":4`, json: true}},
		{Garbage, `{"id":1}`, want{status: 200, body: "garbage"}},
		{Refuse, `{"id":1}`, want{refused: true}},
		{Pass, `{"id":10}`, want{status: 200, body: `echo {'id':10}`, json: true}},
	} {
		if err := p.SetMode(ctx, tc.mode); err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		// A fresh connection per request, as after a daemon restart.
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Post("http://"+p.Addr(), "application/json", strings.NewReader(tc.req))
		if tc.want.refused {
			var oe *net.OpError
			if !errors.As(err, &oe) {
				t.Errorf("%s: request not refused (%v)", tc.mode, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want.status || !strings.Contains(string(body), tc.want.body) || json.Valid(body) != tc.want.json {
			t.Errorf("%s %s: HTTP %d %s, want %d containing %q (JSON %v)", tc.mode, tc.req, resp.StatusCode, body, tc.want.status, tc.want.body, tc.want.json)
		}
	}
	if p.Requests() != 6 {
		t.Errorf("Requests() = %d, want 6 (the refused one never arrived)", p.Requests())
	}
}

// FuzzErrorReply: whatever the request body, the injected error reply is
// valid JSON carrying the injected message.
func FuzzErrorReply(f *testing.F) {
	for _, s := range []string{`{"id":1}`, `[{"id":1},{"id":"x"}]`, `[]`, `null`, `{`, `[1,2]`, ``, `{"id":{"a":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := errorReply(body)
		if !json.Valid(out) || !strings.Contains(string(out), InjectedMessage) && string(out) != "[]" {
			t.Fatalf("errorReply(%q) = %s", body, out)
		}
	})
}
