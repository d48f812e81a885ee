package daemonrpc

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
)

// capture is a slog handler that records messages.
type capture struct {
	mu   sync.Mutex
	msgs []string
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.msgs = append(c.msgs, r.Message)
	c.mu.Unlock()
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func (c *capture) count(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

func TestFailureLoggingIsRateLimited(t *testing.T) {
	dead, _ := ParseURL("u:p@"+fakedaemon.RefusedAddr(t), 1, false)
	logs := &capture{}
	o := fastOpts(dead)
	o.Logger, o.LogInterval = slog.New(logs), time.Hour
	c := newClient(t, o)
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		_, _ = c.Call(ctx, "getblockcount")
		cancel()
	}
	if n := logs.count("connection problem - check your daemon is running  Retrying occasionally..."); n != 1 {
		t.Fatalf("failure logged %d times, want once: %q", n, logs.msgs)
	}
	f := fakedaemon.New(t)
	f.Handle("getblockcount", fakedaemon.Constant(1))
	if err := c.SetURLs([]Endpoint{endpoint(t, f, "u:p")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Call(context.Background(), "getblockcount"); err != nil {
			t.Fatal(err)
		}
	}
	if n := logs.count("connection restored"); n != 1 {
		t.Fatalf("restored logged %d times, want once: %q", n, logs.msgs)
	}
}

func TestRequestTimeoutIsRetried(t *testing.T) {
	f := fakedaemon.New(t)
	f.Handle("getblockcount", fakedaemon.Constant(5))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	f.SetPre(func(w http.ResponseWriter, n int64) bool {
		if n == 1 {
			<-release // the first request hangs past the client's timeout
			return true
		}
		return false
	})
	o := fastOpts(endpoint(t, f, "u:p"))
	o.RequestTimeout = 50 * time.Millisecond
	c := newClient(t, o)
	res, err := c.Call(context.Background(), "getblockcount")
	if err != nil || string(res) != "5" || f.Requests() != 2 {
		t.Fatalf("got %s, %v after %d requests", res, err, f.Requests())
	}
}
