package daemonrpc

import (
	"log/slog"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
)

// endpoint parses "creds@fake" into an Endpoint.
func endpoint(t *testing.T, f *fakedaemon.Daemon, creds string) Endpoint {
	t.Helper()
	ep, err := ParseURL(creds+"@"+f.HostPort(), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// fastOpts are client options with tiny retry delays for tests.
func fastOpts(urls ...Endpoint) Options {
	return Options{URLs: urls, InitialDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
		RequestTimeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
