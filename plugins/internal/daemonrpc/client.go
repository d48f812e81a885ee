package daemonrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// Defaults for Options fields left zero.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultInitialDelay   = 250 * time.Millisecond
	DefaultMaxDelay       = 4 * time.Second
	DefaultMaxInFlight    = 10
	DefaultLogInterval    = 60 * time.Second
)

// Options configures a Client. Zero fields take the defaults above.
type Options struct {
	URLs           []Endpoint    // at least one; the first is current
	CookieFile     string        // credentials for URLs without any
	RequestTimeout time.Duration // per HTTP request
	InitialDelay   time.Duration // first retry delay
	MaxDelay       time.Duration // retry delay cap; failover happens there
	MaxInFlight    int           // HTTP requests in flight
	LogInterval    time.Duration // a failure kind is logged at most this often
	Logger         *slog.Logger  // nil: slog.Default()
}

// Request is one call of a batch.
type Request struct {
	Method string
	Params []any
}

// nextID is the process-wide JSON-RPC id counter.
var nextID atomic.Uint64

func reserveIDs(n int) uint64 { return nextID.Add(uint64(n)) - uint64(n) + 1 }

// Client is a JSON-RPC client for one daemon reached through a list of URLs.
// It is safe for concurrent use.
type Client struct {
	opts   Options
	log    *slog.Logger
	http   *http.Client
	tr     *http.Transport
	sem    chan struct{}
	stop   context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	urls []Endpoint
	cur  int
	gen  uint64 // bumped by SetURLs

	cookieMu    sync.Mutex
	cookieUser  string
	cookiePass  string
	cookieValid bool

	caps sync.Map // method -> bool

	logMu   sync.Mutex
	lastLog map[string]time.Time
	failing bool
}

// New returns a client for opts.URLs.
func New(opts Options) (*Client, error) {
	if len(opts.URLs) == 0 {
		return nil, fmt.Errorf("rpc: no daemon URL")
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.InitialDelay <= 0 {
		opts.InitialDelay = DefaultInitialDelay
	}
	if opts.MaxDelay < opts.InitialDelay {
		opts.MaxDelay = max(DefaultMaxDelay, opts.InitialDelay)
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.LogInterval <= 0 {
		opts.LogInterval = DefaultLogInterval
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	tr := &http.Transport{
		Proxy:               nil, // never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        opts.MaxInFlight,
		MaxIdleConnsPerHost: opts.MaxInFlight,
		IdleConnTimeout:     90 * time.Second,
	}
	stop, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts: opts, log: lg, tr: tr, http: &http.Client{Transport: tr},
		sem: make(chan struct{}, opts.MaxInFlight), stop: stop, cancel: cancel,
		urls: append([]Endpoint(nil), opts.URLs...), lastLog: map[string]time.Time{},
	}
	return c, nil
}

// URLs returns the URL list and the index of the current entry.
func (c *Client) URLs() ([]Endpoint, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Endpoint(nil), c.urls...), c.cur
}

// Current returns the endpoint requests go to now.
func (c *Client) Current() Endpoint {
	ep, _, _ := c.current()
	return ep
}

func (c *Client) current() (Endpoint, int, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.urls[c.cur], c.cur, c.gen
}

// SetURLs replaces the URL list at run time and switches to its first entry.
func (c *Client) SetURLs(urls []Endpoint) error {
	if len(urls) == 0 {
		return fmt.Errorf("rpc: no daemon URL")
	}
	c.mu.Lock()
	c.urls = append([]Endpoint(nil), urls...)
	c.cur = 0
	c.gen++
	c.mu.Unlock()
	c.log.Info("daemon URLs replaced", "current", urls[0].Logged, "count", len(urls))
	return nil
}

// failover moves to the next URL if the list has more than one and nobody
// moved since the failed request picked entry idx of generation gen.
func (c *Client) failover(idx int, gen uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.urls) < 2 {
		return false
	}
	if c.gen == gen && c.cur == idx {
		c.cur = (c.cur + 1) % len(c.urls)
		c.log.Info("failing over to next daemon URL", "url", c.urls[c.cur].Logged)
	}
	return true
}

// Close stops in-flight calls and closes idle connections. Later calls fail
// with KindUnavailable.
func (c *Client) Close() {
	c.cancel()
	c.tr.CloseIdleConnections()
}

// withStop derives a context that is also cancelled by Close.
func (c *Client) withStop(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.stop, cancel)
	return ctx, func() { stop(); cancel() }
}

// Call sends one call and returns its result. Transport failures, service
// refusals and warm-up errors are retried until ctx is done (then the error is
// KindUnavailable); another daemon error is returned at once as
// sdk.DaemonError.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	body, err := encodeSingle(reserveIDs(1), method, params)
	if err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "rpc: encode %s: %w", method, err)
	}
	rep, err := retry(c, ctx, body, readAll(parseReply), func(r Reply) *sdk.Error {
		if r.Err != nil && r.Err.DaemonCode == CodeWarmup {
			return r.Err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rep.Err != nil {
		return nil, rep.Err
	}
	return rep.Result, nil
}

// Batch sends reqs as one batch and returns the replies in request order;
// failed items carry their daemon error in Reply.Err. The whole batch is
// retried like Call when it fails or when any item is a warm-up error.
func (c *Client) Batch(ctx context.Context, reqs []Request) ([]Reply, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	first := reserveIDs(len(reqs))
	body, err := encodeBatch(first, reqs)
	if err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "rpc: encode batch of %s: %w", reqs[0].Method, err)
	}
	parse := func(b []byte) ([]Reply, error) { return parseBatchReply(b, first, len(reqs)) }
	return retry(c, ctx, body, readAll(parse), func(rs []Reply) *sdk.Error {
		for _, r := range rs {
			if r.Err != nil && r.Err.DaemonCode == CodeWarmup {
				return r.Err
			}
		}
		return nil
	})
}

// BatchSame calls method once per parameter set.
func (c *Client) BatchSame(ctx context.Context, method string, params [][]any) ([]Reply, error) {
	reqs := make([]Request, len(params))
	for i, p := range params {
		reqs[i] = Request{Method: method, Params: p}
	}
	return c.Batch(ctx, reqs)
}

// BatchHex calls method once per parameter set, for methods whose result is
// a hex string (getblock verbosity 0), and decodes the results while the
// reply streams in: the reply's JSON and hex are never held. The results
// kept total at most limit bytes, except that the first result of the reply
// is always kept; the results past the limit come back Dropped (read and
// discarded). Retries are those of Batch.
func (c *Client) BatchHex(ctx context.Context, method string, params [][]any, limit int64) ([]HexReply, error) {
	if len(params) == 0 {
		return nil, nil
	}
	reqs := make([]Request, len(params))
	for i, p := range params {
		reqs[i] = Request{Method: method, Params: p}
	}
	first := reserveIDs(len(reqs))
	body, err := encodeBatch(first, reqs)
	if err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "rpc: encode batch of %s: %w", method, err)
	}
	parse := func(r io.Reader) ([]HexReply, error) { return parseHexBatch(r, first, len(reqs), limit) }
	return retry(c, ctx, body, parse, func(rs []HexReply) *sdk.Error {
		for _, r := range rs {
			if r.Err != nil && r.Err.DaemonCode == CodeWarmup {
				return r.Err
			}
		}
		return nil
	})
}
