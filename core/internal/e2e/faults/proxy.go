package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is the behaviour of a Proxy.
type Mode int

// Proxy modes.
const (
	// Pass forwards every request to the daemon unchanged.
	Pass Mode = iota
	// Refuse closes the listening socket and every open connection, so
	// connections are refused as if the daemon had stopped.
	Refuse
	// Slow forwards every request after a delay (SetDelay).
	Slow
	// HTTPError answers every request with HTTP 500 and a JSON-RPC error
	// object per request (bitcoind's way of reporting an RPC error), without
	// asking the daemon.
	HTTPError
	// Garbage answers every request with HTTP 200, Content-Type
	// application/json and a body that is not JSON.
	Garbage
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case Slow:
		return "slow"
	case HTTPError:
		return "http-error"
	case Garbage:
		return "garbage"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// InjectedCode and InjectedMessage are the JSON-RPC error HTTPError mode
// answers with.
const (
	InjectedCode    = -32603
	InjectedMessage = "amber-faults: injected daemon error"
)

// Proxy is an HTTP proxy on 127.0.0.1 in front of a daemon's JSON-RPC
// port whose behaviour can be switched at any time (SetMode). The zero
// value is not usable: use StartProxy.
type Proxy struct {
	addr   string
	target *url.URL
	rp     *httputil.ReverseProxy

	mu    sync.Mutex
	mode  Mode
	delay time.Duration
	srv   *http.Server // nil while refusing

	requests atomic.Int64 // requests received (any mode)
}

// StartProxy listens on a free 127.0.0.1 port and forwards to target
// ("127.0.0.1:port") in Pass mode. Close it when done.
func StartProxy(ctx context.Context, target string) (*Proxy, error) {
	u, err := url.Parse("http://" + target)
	if err != nil {
		return nil, fmt.Errorf("proxy target %q: %w", target, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &Proxy{addr: ln.Addr().String(), target: u, delay: 2 * time.Second}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		// A daemon that is gone while we forward: drop the connection
		// rather than invent a reply.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { abort(w) },
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	p.serve(ln)
	return p, nil
}

// Addr returns the proxy's "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.addr }

// URL returns a DAEMON_URL "user:pass@127.0.0.1:port" for the proxy with
// the credentials of daemonURL ("user:pass@host:port").
func (p *Proxy) URL(daemonURL string) string {
	if i := strings.LastIndexByte(daemonURL, '@'); i >= 0 {
		return daemonURL[:i+1] + p.addr
	}
	return p.addr
}

// Requests returns the number of requests the proxy has received.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Mode returns the current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetDelay sets Slow mode's per-request delay (default 2 s).
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// SetMode switches the behaviour. Entering Refuse closes the listener and
// all connections; leaving it listens again on the same address.
func (p *Proxy) SetMode(ctx context.Context, m Mode) error {
	p.mu.Lock()
	old, srv := p.mode, p.srv
	p.mode = m
	if m == Refuse {
		p.srv = nil
	}
	p.mu.Unlock()
	switch {
	case m == Refuse && srv != nil:
		return srv.Close()
	case old == Refuse && m != Refuse:
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", p.addr)
		if err != nil {
			return fmt.Errorf("proxy listen again on %s: %w", p.addr, err)
		}
		p.serve(ln)
	}
	return nil
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	srv := p.srv
	p.srv, p.mode = nil, Refuse
	p.mu.Unlock()
	if srv != nil {
		return srv.Close()
	}
	return nil
}

func (p *Proxy) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.handle), ReadHeaderTimeout: 10 * time.Second}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (p *Proxy) handle(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	p.mu.Lock()
	mode, delay := p.mode, p.delay
	p.mu.Unlock()
	switch mode {
	case Refuse: // a request that raced with the switch
		abort(w)
	case Slow:
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		p.rp.ServeHTTP(w, r)
	case HTTPError:
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(errorReply(body))
	case Garbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("}{ amber-faults garbage \x00\xff"))
	default:
		p.rp.ServeHTTP(w, r)
	}
}

// errorReply builds JSON-RPC error replies with the ids of the request
// body: an array for a batch, an object otherwise.
func errorReply(body []byte) []byte {
	type rpcErr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	type reply struct {
		Result any             `json:"result"`
		Error  rpcErr          `json:"error"`
		ID     json.RawMessage `json:"id"`
	}
	type req struct {
		ID json.RawMessage `json:"id"`
	}
	one := func(id json.RawMessage) reply {
		if len(id) == 0 {
			id = json.RawMessage("null")
		}
		return reply{Error: rpcErr{InjectedCode, InjectedMessage}, ID: id}
	}
	var out any
	var batch []req
	var single req
	if json.Unmarshal(body, &batch) == nil {
		rs := make([]reply, len(batch))
		for i, r := range batch {
			rs[i] = one(r.ID)
		}
		out = rs
	} else {
		_ = json.Unmarshal(body, &single)
		out = one(single.ID)
	}
	b, _ := json.Marshal(out)
	return b
}

// abort drops the client connection without a reply.
func abort(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, like a dying process
	}
	_ = conn.Close()
}
