package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// qop is one step of a sendQueue script: push a message, close, discard,
// or take the writer's next step.
type qop struct {
	op    string // "push", "close", "next", "discard"
	msg   string // push: the message; next: the message expected (qMsg)
	start bool   // push/close: a writer must be started
	err   error  // push: the error expected
	state int    // next: the state expected
}

func TestSendQueueScripts(t *testing.T) {
	push := func(m string, start bool) qop { return qop{op: "push", msg: m, start: start} }
	next := func(m string) qop { return qop{op: "next", msg: m, state: qMsg} }
	idle := qop{op: "next", state: qIdle}
	drained := qop{op: "next", state: qDrained}
	tests := []struct {
		name  string
		limit int
		ops   []qop
	}{
		{"order and one writer per backlog", 8, []qop{
			push("a", true), push("b", false), push("c", false),
			next("a"), push("d", false), next("b"), next("c"), next("d"), idle,
			push("e", true), next("e"), idle,
		}},
		{"bound counts queued messages, not the one being written", 2, []qop{
			push("a", true), push("b", false),
			{op: "push", msg: "c", err: ErrSendQueueFull},
			next("a"), push("c", false),
			{op: "push", msg: "d", err: ErrSendQueueFull},
			next("b"), next("c"), idle,
		}},
		{"close while backlog: queued messages are still written", 8, []qop{
			push("a", true), push("b", false),
			{op: "close", start: false},
			{op: "push", msg: "c", err: net.ErrClosed},
			next("a"), next("b"), drained, drained,
		}},
		{"close when idle starts the finishing writer", 8, []qop{
			push("a", true), next("a"), idle,
			{op: "close", start: true}, drained,
		}},
		{"second close is a no-op", 8, []qop{
			{op: "close", start: true}, {op: "close", start: false}, drained,
		}},
		{"discard after a failed write", 8, []qop{
			push("a", true), push("b", false), next("a"),
			{op: "close"}, {op: "discard"}, drained,
		}},
		{"ring wraps and grows in order", 16, []qop{
			push("1", true), push("2", false), push("3", false), next("1"), next("2"),
			push("4", false), push("5", false), push("6", false), push("7", false), push("8", false),
			next("3"), next("4"), next("5"), next("6"), next("7"), next("8"), idle,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := sendQueue{limit: tt.limit}
			for i, o := range tt.ops {
				switch o.op {
				case "push":
					start, err := q.push([]byte(o.msg))
					if !errors.Is(err, o.err) || (err == nil && start != o.start) {
						t.Fatalf("op %d push %q = (%v, %v), want (%v, %v)", i, o.msg, start, err, o.start, o.err)
					}
				case "close":
					if start := q.close(); start != o.start {
						t.Fatalf("op %d close start = %v, want %v", i, start, o.start)
					}
				case "discard":
					q.discard()
					if n := q.len(); n != 0 {
						t.Fatalf("op %d: %d left after discard", i, n)
					}
				case "next":
					msg, st := q.next()
					if st != o.state || string(msg) != o.msg {
						t.Fatalf("op %d next = (%q, %d), want (%q, %d)", i, msg, st, o.msg, o.state)
					}
				}
			}
		})
	}
}

// TestSendQueueReleasesBacklogMemory: a drained backlog does not pin its
// ring.
func TestSendQueueReleasesBacklogMemory(t *testing.T) {
	q := sendQueue{limit: 4096}
	for i := range 1000 {
		if _, err := q.push([]byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(q.ring) < 1000 {
		t.Fatalf("ring has %d slots for 1000 messages", len(q.ring))
	}
	for i := range 1000 {
		msg, st := q.next()
		if st != qMsg || string(msg) != strconv.Itoa(i) {
			t.Fatalf("next = (%q, %d), want %d", msg, st, i)
		}
	}
	if _, st := q.next(); st != qIdle {
		t.Fatalf("state %d, want idle", st)
	}
	if len(q.ring) > keptSlots {
		t.Errorf("ring of %d slots kept after the backlog drained", len(q.ring))
	}
}

// TestSendQueueConcurrentProducers: several producers and a writer that
// comes and goes as the queue empties; every accepted message is written
// once and each producer's in order.
func TestSendQueueConcurrentProducers(t *testing.T) {
	tests := []struct{ producers, each, limit int }{
		{1, 2000, 4096},
		{8, 500, 4096},
		{8, 500, 16}, // many refused as full
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d limit %d", tt.producers, tt.each, tt.limit), func(t *testing.T) {
			q := sendQueue{limit: tt.limit}
			var (
				mu      sync.Mutex
				got     = make(map[int][]int)
				writers sync.WaitGroup
			)
			writer := func() {
				defer writers.Done()
				for {
					msg, st := q.next()
					if st != qMsg {
						break
					}
					var p, i int
					fmt.Sscanf(string(msg), "%d/%d", &p, &i)
					mu.Lock()
					got[p] = append(got[p], i)
					mu.Unlock()
				}
			}
			accepted := make([]int, tt.producers)
			var producers sync.WaitGroup
			for p := range tt.producers {
				producers.Add(1)
				go func() {
					defer producers.Done()
					for i := range tt.each {
						start, err := q.push(fmt.Appendf(nil, "%d/%d", p, i))
						if errors.Is(err, ErrSendQueueFull) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						accepted[p]++
						if start {
							writers.Add(1)
							go writer()
						}
					}
				}()
			}
			producers.Wait()
			if q.close() {
				writers.Add(1)
				go writer()
			}
			writers.Wait()
			if _, st := q.next(); st != qDrained {
				t.Fatalf("state %d after the last writer, want drained", st)
			}
			for p := range tt.producers {
				if len(got[p]) != accepted[p] {
					t.Errorf("producer %d: %d written, %d accepted", p, len(got[p]), accepted[p])
				}
				for k := 1; k < len(got[p]); k++ {
					if got[p][k] <= got[p][k-1] {
						t.Fatalf("producer %d: %d written after %d", p, got[p][k], got[p][k-1])
					}
				}
			}
		})
	}
}

// TestNotifyOverflowClosesSession: a client that does not read gets its
// first sendQueueLength notifications queued, and the next one closes the
// session with ErrSendQueueFull, as with the channel this queue replaced.
func TestNotifyOverflowClosesSession(t *testing.T) {
	var sess atomic.Pointer[Session]
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"sub": func(_ context.Context, s *Session, _ json.RawMessage) (any, error) {
			sess.Store(s)
			return "ok", nil
		},
	}}
	_, c, done := start(t, d, Profile{})
	c.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"sub"}`)
	c.read(t)
	s := sess.Load()
	// The fake connection buffers cap(c.out) writes and the writer holds one
	// more; the test reads nothing, so the rest stays queued.
	sent := 0
	var err error
	for ; sent < sendQueueLength+cap(c.out)+2; sent++ {
		if err = s.Notify("n", []any{sent}); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrSendQueueFull) {
		t.Fatalf("after %d notifications: err = %v, want ErrSendQueueFull", sent, err)
	}
	if sent < sendQueueLength {
		t.Fatalf("queue full after %d notifications, bound is %d", sent, sendQueueLength)
	}
	if !s.Closing() {
		t.Fatal("session not closing after the overflow")
	}
	if err := s.Notify("n", nil); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Notify after the overflow: %v, want net.ErrClosed", err)
	}
	// Queued messages are flushed in order while the close grace period
	// lasts; how many make it depends on the scheduler, so only the order
	// and the ones the connection buffered already are checked.
	got := 0
	for {
		select {
		case m := <-c.out:
			if want := fmt.Sprintf(`{"jsonrpc":"2.0","method":"n","params":[%d]}`, got); string(m) != want {
				t.Fatalf("message %d = %s, want %s", got, m, want)
			}
			got++
			continue
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("session did not end after the overflow")
		}
		break
	}
	for ; len(c.out) > 0; got++ {
		if m, want := <-c.out, fmt.Sprintf(`{"jsonrpc":"2.0","method":"n","params":[%d]}`, got); string(m) != want {
			t.Fatalf("message %d = %s, want %s", got, m, want)
		}
	}
	if got < cap(c.out) {
		t.Errorf("%d messages delivered, want at least %d", got, cap(c.out))
	}
}

// BenchmarkSendQueue is push and the writer's next with a given backlog,
// beside the buffered channel the queue replaced.
func BenchmarkSendQueue(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","result":"ok","id":1}`)
	for _, backlog := range []int{0, 64} {
		b.Run(fmt.Sprintf("queue/backlog=%d", backlog), func(b *testing.B) {
			q := sendQueue{limit: sendQueueLength}
			for range backlog {
				_, _ = q.push(msg)
			}
			for b.Loop() {
				if _, err := q.push(msg); err != nil {
					b.Fatal(err)
				}
				if _, st := q.next(); st != qMsg {
					b.Fatal("empty")
				}
			}
		})
		b.Run(fmt.Sprintf("chan/backlog=%d", backlog), func(b *testing.B) {
			ch := make(chan []byte, sendQueueLength)
			for range backlog {
				ch <- msg
			}
			for b.Loop() {
				ch <- msg
				<-ch
			}
		})
	}
	b.Run("queue/producers=4", func(b *testing.B) {
		q := sendQueue{limit: sendQueueLength}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = q.push(msg)
				q.next()
			}
		})
	})
}

// A closing session whose client reads nothing is ended when the close
// grace period runs out, not before.
func TestCloseGracePeriodEndsSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newFakeConn()
		c.out = make(chan []byte) // nobody reads: every write blocks
		done := make(chan struct{})
		go func() { m.Serve(context.Background(), c, echoDispatcher(), Profile{}); close(done) }()
		synctest.Wait()
		s := m.Sessions()[0]
		if err := s.Notify("n", nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		time.Sleep(closeGracePeriod - time.Millisecond)
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("session ended before its grace period")
		default:
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("session still running after its grace period")
		}
	})
}
