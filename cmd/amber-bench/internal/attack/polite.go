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

// politeRun runs o.Polite paced clients for o.Duration, each on a new
// connection (so that admission is measured too) from its own loopback
// address in its own /24 (politeAddr), making a wallet's small requests
// one at a time.
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
		c, err := newClient(ctx, politeAddr(i), o.Addr)
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

// politeAddr is the source address of polite client i: 127.2.i.1 (then
// 127.3.x.1 and so on), one /24 each, so that no two polite clients, and
// no polite client and an attacker (127.1.x.y, or 127.0.1.1 with
// -same-address), share a cost group or a per-subnet cap when amberd
// applies them to loopback addresses (session_limits_private). Real
// wallets come from many networks; one shared /24 would make ten polite
// clients one heavy client.
func politeAddr(i int) net.IP { return net.IPv4(127, byte(2+i/250), byte(i%250), 1) }

// newClient connects to addr from the loopback address src.
func newClient(ctx context.Context, src net.IP, addr string) (*client, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
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
