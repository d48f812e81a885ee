package subbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/rpcclient"
)

// ConnectOptions configure Connect.
type ConnectOptions struct {
	Addr    string     // Electrum TCP server, 127.0.0.1:port
	Scripts [][]Script // per session: the scripts it subscribes to
	// Concurrency bounds the sessions being set up at once (default 100).
	Concurrency int
	// Rate bounds new connections per second (0: no bound).
	Rate float64
	// Timeout bounds each request (default 60 s).
	Timeout time.Duration
	// ReadBuffer is each connection's read buffer (default 4 KiB).
	ReadBuffer int
	// Book receives every session's notifications (Note with the session's
	// index); nil drops them.
	Book *Book
	// Progress is called after each session is set up or failed.
	Progress func(ok, failed int)
	// Client is the client name sent with server.version.
	Client string
}

// Session is one benchmark session.
type Session struct {
	Index int
	Conn  *rpcclient.Conn // nil if the set-up failed
	Tip   int64           // height in the headers.subscribe reply
	Err   error           // why the set-up failed
}

// Connect opens len(o.Scripts) sessions. Each sends server.version,
// blockchain.headers.subscribe and then blockchain.scripthash.subscribe for
// each of its scripts (pipelined); every subscription must answer null (no
// history). A session that fails is closed and returned with Err set;
// Connect itself fails only when ctx ends.
func Connect(ctx context.Context, o ConnectOptions) ([]*Session, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 100
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.ReadBuffer <= 0 {
		o.ReadBuffer = 4 << 10
	}
	if o.Client == "" {
		o.Client = "amber-bench"
	}
	n := len(o.Scripts)
	out := make([]*Session, n)
	next := make(chan int)
	var okN, failN atomic.Int64
	var wg sync.WaitGroup
	for range min(o.Concurrency, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := setup(ctx, o, i)
				out[i] = s
				if s.Err != nil {
					failN.Add(1)
				} else {
					okN.Add(1)
				}
				if o.Progress != nil {
					o.Progress(int(okN.Load()), int(failN.Load()))
				}
			}
		}()
	}
	start := time.Now()
feed:
	for i := range n {
		if o.Rate > 0 {
			at := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
			if d := time.Until(at); d > 0 {
				select {
				case <-ctx.Done():
					break feed
				case <-time.After(d):
				}
			}
		}
		select {
		case <-ctx.Done():
			break feed
		case next <- i:
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		CloseAll(out)
		return nil, err
	}
	return out, nil
}

func setup(ctx context.Context, o ConnectOptions, i int) *Session {
	s := &Session{Index: i}
	var note func(rpcclient.Message, time.Time)
	if o.Book != nil {
		note = func(m rpcclient.Message, at time.Time) { o.Book.Note(i, m.Method, m.Params, at) }
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, err := rpcclient.DialOptions(ctx, o.Addr, rpcclient.Options{ReadBuffer: o.ReadBuffer, OnNotify: note})
	if err != nil {
		s.Err = err
		return s
	}
	fail := func(err error) *Session {
		c.Close()
		s.Err = fmt.Errorf("session %d: %w", i, err)
		return s
	}
	if _, err := c.Call(ctx, "server.version", o.Client, "1.4"); err != nil {
		return fail(err)
	}
	raw, err := c.Call(ctx, HeadersMethod)
	if err != nil {
		return fail(err)
	}
	var tip struct {
		Height *int64 `json:"height"`
	}
	if err := json.Unmarshal(raw, &tip); err != nil || tip.Height == nil {
		return fail(fmt.Errorf("%s: bad result %.100s", HeadersMethod, raw))
	}
	s.Tip = *tip.Height
	errs := make([]error, len(o.Scripts[i]))
	var wg sync.WaitGroup
	for j, sc := range o.Scripts[i] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, err := c.Call(ctx, ScriptHashMethod, sc.Hash)
			switch {
			case err != nil:
				errs[j] = err
			case string(raw) != "null":
				errs[j] = fmt.Errorf("script hash %s already has history (status %s): pick another key offset", sc.Hash, raw)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}
	s.Conn = c
	return s
}

// CloseAll closes every open session.
func CloseAll(ss []*Session) {
	for _, s := range ss {
		if s != nil && s.Conn != nil {
			s.Conn.Close()
		}
	}
}

// Disconnected counts the set-up sessions whose connection has ended.
func Disconnected(ss []*Session) int {
	n := 0
	for _, s := range ss {
		if s != nil && s.Conn != nil {
			select {
			case <-s.Conn.Done():
				n++
			default:
			}
		}
	}
	return n
}

// WaitTip waits (at most timeout) until the server's headers.subscribe
// answers height tip or higher, so no event starts while it still indexes.
func WaitTip(ctx context.Context, addr string, tip int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := rpcclient.DialVersion(ctx, addr, "amber-bench", "1.4")
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		raw, err := c.Call(ctx, HeadersMethod)
		if err != nil {
			return fmt.Errorf("waiting for the server to reach height %d: %w", tip, err)
		}
		var h struct {
			Height int64 `json:"height"`
		}
		if json.Unmarshal(raw, &h) == nil && h.Height >= tip {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at height %d, daemon at %d: %w", h.Height, tip, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// HasHistory returns a FreshOffset probe asking the server at addr for
// blockchain.scripthash.get_history (one connection per probe).
func HasHistory(addr string) func(ctx context.Context, sh string) (bool, error) {
	return func(ctx context.Context, sh string) (bool, error) {
		c, err := rpcclient.DialVersion(ctx, addr, "amber-bench", "1.4")
		if err != nil {
			return false, err
		}
		defer c.Close()
		raw, err := c.Call(ctx, "blockchain.scripthash.get_history", sh)
		if err != nil {
			return false, err
		}
		var h []json.RawMessage
		if err := json.Unmarshal(raw, &h); err != nil {
			return false, fmt.Errorf("get_history: %w", err)
		}
		return len(h) > 0, nil
	}
}
