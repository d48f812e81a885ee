package attack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
)

// politeRun runs o.Polite paced clients from 127.0.0.1 for o.Duration,
// each on a new connection (so that admission is measured too), making a
// wallet's small requests one at a time.
func politeRun(ctx context.Context, o Options) Polite {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var rec latency.Recorder
	var reqs, errs atomic.Int64
	var mu sync.Mutex
	fails := map[string]int64{}
	fail := func(what string) {
		errs.Add(1)
		mu.Lock()
		fails[what]++
		mu.Unlock()
	}
	each(max(o.Polite, 1), func(i int) {
		c, err := newClient(ctx, o.Addr)
		if err != nil {
			if ctx.Err() == nil {
				fail("connect")
			}
			return
		}
		defer c.close()
		if _, err := c.call("server.version", []any{"amber-bench-polite", "1.4"}); err != nil {
			fail(err.Error())
			return
		}
		for n := 0; ctx.Err() == nil; n++ {
			method, params := "server.ping", []any{}
			switch n % 3 {
			case 0:
				method, params = "blockchain.block.header", []any{n % 100}
			case 2:
				method = "blockchain.headers.subscribe"
			}
			t0 := time.Now()
			_, err := c.call(method, params)
			if ctx.Err() != nil {
				return // the phase ended during the call
			}
			rec.Record(time.Since(t0))
			reqs.Add(1)
			if err != nil {
				fail(err.Error())
				if c.broken {
					return
				}
			}
			sleep(ctx, o.Pace)
		}
	})
	p := Polite{Requests: reqs.Load(), Errors: errs.Load(), Latency: rec.Summary()}
	if len(fails) > 0 {
		p.Failures = fails
	}
	return p
}

// client is a minimal sequential JSON-RPC client (replies in order;
// notifications skipped).
type client struct {
	conn   net.Conn
	rd     *bufio.Reader
	id     int
	broken bool
}

func newClient(ctx context.Context, addr string) (*client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return &client{conn: c, rd: bufio.NewReaderSize(c, 64<<10)}, nil
}

func (c *client) close() { c.conn.Close() }

func (c *client) call(method string, params []any) (json.RawMessage, error) {
	c.id++
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.id, "method": method, "params": params})
	if _, err := c.conn.Write(append(req, '\n')); err != nil {
		c.broken = true
		return nil, fmt.Errorf("write: %w", err)
	}
	for {
		line, err := c.rd.ReadBytes('\n')
		if err != nil {
			c.broken = true
			return nil, fmt.Errorf("read: connection ended")
		}
		var r struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(line, &r) != nil || r.ID == nil {
			continue // a notification
		}
		if r.Error != nil {
			return nil, fmt.Errorf("error %d", r.Error.Code)
		}
		return r.Result, nil
	}
}
