package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
)

// gatedConn is a fakeConn whose writes wait for a token on gate (a client
// that does not read), and which reports how many messages it has read.
type gatedConn struct {
	*fakeConn
	gate  chan struct{}
	reads atomic.Int32
	hook  func(int)
}

func newGatedConn() *gatedConn {
	return &gatedConn{fakeConn: newFakeConn(), gate: make(chan struct{}, 1024)}
}

func (c *gatedConn) ReadMessage(ctx context.Context) ([]byte, error) {
	m, err := c.fakeConn.ReadMessage(ctx)
	if err == nil {
		c.reads.Add(1)
	}
	return m, err
}

func (c *gatedConn) WriteMessage(ctx context.Context, m []byte) error {
	select {
	case <-c.gate:
	case <-c.closed:
		return net.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.fakeConn.WriteMessage(ctx, m)
}

func (c *gatedConn) SetDiscardHook(f func(int)) { c.hook = f }

// readWithin is fakeConn.read with a longer hang guard (fake time).
func readWithin(t *testing.T, c *fakeConn, d time.Duration) string {
	t.Helper()
	select {
	case m := <-c.out:
		return string(m)
	case <-time.After(d):
		t.Fatal("no message from the session")
	}
	return ""
}

func req(id int, method string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":[]}`, id, method)
}

func batchOf(n int, method string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = req(i, method)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// serveConn runs a session on c under m (in the caller's bubble); the
// caller defers the returned stop (t.Cleanup would run after the bubble's
// main goroutine has returned).
func serveConn(t *testing.T, m *Manager, c Conn, d Factory, p Profile) (done chan struct{}, stop func()) {
	t.Helper()
	done = make(chan struct{})
	go func() { m.Serve(context.Background(), c, d, p); close(done) }()
	return done, func() { c.Close(); <-done }
}

// blockers are handlers that wait for their context (hang) or ignore it
// (stuck) until release is closed.
func blockers(release chan struct{}) *dispatcher {
	d := &dispatcher{}
	d.handlers = map[string]func(context.Context, *Session, json.RawMessage) (any, error){
		"echo": echo,
		"hang": func(ctx context.Context, _ *Session, _ json.RawMessage) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
		"stuck": func(context.Context, *Session, json.RawMessage) (any, error) {
			<-release
			return "late", nil
		},
		"version": func(ctx context.Context, s *Session, _ json.RawMessage) (any, error) {
			select { // a pipelined request would overtake it
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			d.setInfo(s, Info{Protocol: "1.6"})
			return []string{"amber", "1.6"}, nil
		},
		"proto": func(_ context.Context, s *Session, _ json.RawMessage) (any, error) {
			return s.Protocol(), nil
		},
	}
	return d
}

// TestSerialUntilProtocol (issue 12.1): requests pipelined after
// server.version, single or in a batch, see the negotiated protocol.
func TestSerialUntilProtocol(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string
	}{
		{"single", req(1, "version") + "\n" + req(2, "proto"), `{"jsonrpc":"2.0","result":"1.6","id":2}`},
		{"batch", `[` + req(1, "version") + `,` + req(2, "proto") + `]`, `"result":"1.6","id":2}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := NewManager(nil)
				c := newFakeConn()
				_, stop := serveConn(t, m, c, blockers(nil), Profile{SerialUntilProtocol: true})
				defer stop()
				for _, line := range strings.Split(tc.in, "\n") {
					c.in <- []byte(line)
				}
				var got string
				for !strings.Contains(got, `"id":2`) {
					got = c.read(t)
				}
				if !strings.Contains(got, tc.want) {
					t.Fatalf("pipelined answer %s, want %s", got, tc.want)
				}
			})
		})
	}
	// Without the flag the second request overtakes the first: the test
	// above could fail.
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newFakeConn()
		_, stop := serveConn(t, m, c, blockers(nil), Profile{})
		defer stop()
		c.in <- []byte(req(1, "version"))
		c.in <- []byte(req(2, "proto"))
		if got := c.read(t); got != `{"jsonrpc":"2.0","result":"","id":2}` {
			t.Fatalf("concurrent answer %s: the proto request should overtake version", got)
		}
	})
}

// TestMaxBatch: a batch over MaxBatch is answered with one error, the
// session stays usable.
func TestMaxBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newFakeConn()
		_, stop := serveConn(t, m, c, blockers(nil), Profile{MaxBatch: 2})
		defer stop()
		c.in <- []byte(batchOf(3, "echo"))
		if got, want := c.read(t), `{"jsonrpc":"2.0","error":{"code":-32600,"message":"batch of 3 requests is over the limit of 2"},"id":null}`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		c.in <- []byte(batchOf(2, "echo"))
		if got := c.read(t); !strings.HasPrefix(got, `[{"jsonrpc":"2.0","result":[],"id":0}`) {
			t.Fatalf("batch within the limit: %s", got)
		}
	})
}

// TestBatchBackPressure (issue 11.2): with its batch places and slots
// taken, the session reads no further messages.
func TestBatchBackPressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		m := NewManager(nil)
		c := newGatedConn()
		for range 10 {
			c.gate <- struct{}{}
		}
		_, stop := serveConn(t, m, c, blockers(release), Profile{Concurrency: 2, BatchesInFlight: 1})
		defer stop()
		for range 6 {
			c.in <- []byte(batchOf(100, "stuck"))
		}
		synctest.Wait()
		// Batch 1 runs (2 items, the rest wait for slots); batch 2 is read
		// and waits for the batch place; nothing more is read.
		if n := c.reads.Load(); n != 2 {
			t.Fatalf("reader took %d messages while its batches were blocked, want 2", n)
		}
		if p := m.Sessions()[0].Pending(); p != 2 {
			t.Fatalf("pending %d, want the concurrency 2", p)
		}
		close(release)
		for range 6 {
			if got := c.read(t); !strings.HasPrefix(got, `[{"jsonrpc":"2.0","result":"late","id":0}`) {
				t.Fatalf("batch answer %.80s", got)
			}
		}
	})
}

// TestBatchDecodedInItsTurn (issue 11.2): a batch that waits for a
// batch place is not decoded yet: an invalid one pipelined behind a
// running batch is answered only once that batch is done.
func TestBatchDecodedInItsTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var codes []int
		p := Profile{Concurrency: 2, BatchesInFlight: 1, RequestTimeout: time.Hour}
		p.Observe = func(_ string, code int, _ time.Duration) { mu.Lock(); codes = append(codes, code); mu.Unlock() }
		c := newFakeConn()
		_, stop := serveConn(t, NewManager(nil), c, blockers(release), p)
		defer stop()
		c.in <- []byte(batchOf(3, "stuck"))
		c.in <- []byte(`[{"jsonrpc":"2.0","id":1,"method":` + "\n")
		synctest.Wait()
		mu.Lock()
		n := len(codes)
		mu.Unlock()
		if n != 0 {
			t.Fatalf("%d answers observed while the first batch runs; the second was decoded early", n)
		}
		close(release)
		if got := c.read(t); !strings.HasPrefix(got, `[{"jsonrpc":"2.0","result":"late","id":0}`) {
			t.Fatalf("first answer %.80s", got)
		}
		if got := c.read(t); !strings.Contains(got, `"code":-32700`) {
			t.Fatalf("second answer %.80s, want a parse error", got)
		}
	})
}

// TestBatchItemsBoundServerWide (issue 11, the batches attack): the
// items of all sessions' batches run at most batchItemsRunning at a
// time, whatever the sessions' concurrency, so that another session's
// single request never queues for the CPU behind tens of them; a single
// request is not bound by it.
func TestBatchItemsBoundServerWide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int32
		d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){
			"hold": func(ctx context.Context, _ *Session, _ json.RawMessage) (any, error) {
				running.Add(1)
				defer running.Add(-1)
				<-ctx.Done()
				return nil, ctx.Err()
			},
		}}
		m := NewManager(nil)
		p := Profile{Concurrency: 10, RequestTimeout: time.Hour}
		for range 3 {
			c := newFakeConn()
			_, stop := serveConn(t, m, c, d, p)
			defer stop()
			c.in <- []byte(batchOf(50, "hold"))
		}
		synctest.Wait()
		if n, want := int(running.Load()), batchItemsRunning(); n != want {
			t.Fatalf("%d batch items running, want %d", n, want)
		}
		other := newFakeConn()
		_, stop := serveConn(t, m, other, d, p)
		defer stop()
		other.in <- []byte(req(1, "hold"))
		synctest.Wait()
		if n, want := int(running.Load()), batchItemsRunning()+1; n != want {
			t.Fatalf("%d handlers running after a single request, want %d", n, want)
		}
	})
}

// TestBatchDecodeTakesLane (issue 11, the abandon attack): decoding a
// batch of decodeTurnBytes or more takes one of batchDecoding server-wide
// turns, so that the readers of many sessions cannot decode large batches
// on every CPU at once: while every turn is taken, such a batch is not
// decoded (here an invalid one, which is otherwise answered at once); it
// is when a turn is free. A smaller batch does not wait, and a turn is
// held for the decoding only, not while the batch's items run.
func TestBatchDecodeTakesLane(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		m := NewManager(nil)
		p := Profile{Concurrency: 10, RequestTimeout: time.Hour}
		busy := newFakeConn()
		_, stopBusy := serveConn(t, m, busy, blockers(release), p)
		defer stopBusy()
		big := batchOf(1500, "stuck")
		if len(big) < decodeTurnBytes {
			t.Fatalf("test batch of %d bytes, want at least %d", len(big), decodeTurnBytes)
		}
		busy.in <- []byte(big)
		synctest.Wait()
		if n := len(m.decodes); n != 0 {
			t.Fatalf("%d decoding turns held while a batch's items run, want 0", n)
		}
		for range batchDecoding() { // other readers decoding
			m.decodes <- struct{}{}
		}
		invalid := `[{"jsonrpc":"2.0","id":1,"method":"echo"`
		small := newFakeConn()
		_, stopSmall := serveConn(t, m, small, blockers(release), p)
		defer stopSmall()
		small.in <- []byte(invalid)
		synctest.Wait()
		select {
		case got := <-small.out:
			if !strings.Contains(string(got), "-32700") {
				t.Fatalf("small batch answered %.80s, want a parse error", got)
			}
		default:
			t.Fatal("a small batch waited for a decoding turn")
		}
		c := newFakeConn()
		_, stop := serveConn(t, m, c, blockers(release), p)
		defer stop()
		c.in <- []byte(invalid + strings.Repeat(" ", decodeTurnBytes))
		synctest.Wait()
		select {
		case got := <-c.out:
			t.Fatalf("batch decoded while every turn was taken: %.80s", got)
		default:
		}
		<-m.decodes
		got := readWithin(t, c, time.Minute)
		if !strings.Contains(got, "-32700") {
			t.Fatalf("answer %.80s, want a parse error", got)
		}
		for range batchDecoding() - 1 {
			<-m.decodes
		}
	})
}

// TestBatchDecodeWaitWithinDeadline (issue 11.3): a batch whose
// deadline passes while it waits for a decoding turn is still answered
// at request_timeout of its arrival, every item (-102, or run once the
// batch is decoded if an item wins its race with the deadline).
func TestBatchDecodeWaitWithinDeadline(t *testing.T) {
	const timeout = 30 * time.Second
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		for range batchDecoding() { // readers that never finish
			m.decodes <- struct{}{}
		}
		c := newFakeConn()
		_, stop := serveConn(t, m, c, blockers(nil), Profile{Concurrency: 10, RequestTimeout: timeout})
		defer stop()
		start := time.Now()
		c.in <- []byte(batchOf(1500, "echo"))
		got := readWithin(t, c, time.Minute)
		if el := time.Since(start); el != timeout {
			t.Errorf("batch answered after %v, want the request timeout %v", el, timeout)
		}
		if n := strings.Count(got, `"id":`); n != 1500 {
			t.Errorf("answer %.200s: %d items answered, want 1500", got, n)
		}
	})
}

// TestDeadlineCoversSlotWait (issues 11.3, 12.13): every batch item and
// every single request is answered within request_timeout of its arrival,
// -102 when it waited for a slot that never came.
func TestDeadlineCoversSlotWait(t *testing.T) {
	const timeout = 30 * time.Second
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		m := NewManager(nil)
		c := newFakeConn()
		_, stop := serveConn(t, m, c, blockers(release), Profile{Concurrency: 1, RequestTimeout: timeout})
		defer stop()
		start := time.Now()
		c.in <- []byte(batchOf(50, "stuck"))
		got := readWithin(t, c, time.Minute)
		if el := time.Since(start); el != timeout {
			t.Errorf("batch answered after %v, want the request timeout %v", el, timeout)
		}
		var items []map[string]any
		if err := json.Unmarshal([]byte(got), &items); err != nil || len(items) != 50 {
			t.Fatalf("batch reply %.100s: %v", got, err)
		}
		for i, it := range items {
			if e, ok := it["error"].(map[string]any); !ok || e["code"] != float64(jsonrpc.ServerBusy) {
				t.Fatalf("item %d = %v, want -102", i, it)
			}
		}
		// Single requests: the second waits for the first's slot; both are
		// answered -102 at the deadline.
		start = time.Now()
		c.in <- []byte(req(1, "stuck"))
		c.in <- []byte(req(2, "stuck"))
		for range 2 {
			if got := readWithin(t, c, time.Minute); !strings.Contains(got, `-102`) {
				t.Fatalf("got %s, want -102", got)
			}
		}
		if el := time.Since(start); el != timeout {
			t.Errorf("single requests answered after %v, want %v", el, timeout)
		}
	})
}

// TestConnectionLossCancelsEverything (issue 11.3): when the connection
// fails, every handler's context ends at once and the session is gone.
func TestConnectionLossCancelsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		m.adm = Admission{MaxSessions: 10}
		c := newFakeConn()
		done, stop := serveConn(t, m, c, blockers(nil), Profile{Concurrency: 10, RequestTimeout: time.Hour, Capped: true})
		defer stop()
		c.in <- []byte(batchOf(1000, "hang"))
		synctest.Wait()
		if p := m.Sessions()[0].Pending(); p != 10 {
			t.Fatalf("pending %d, want 10", p)
		}
		start := time.Now()
		c.Close() // the read fails: the connection is gone
		<-done
		if el := time.Since(start); el != 0 {
			t.Errorf("session ended %v after the connection, want at once", el)
		}
		if m.Count() != 0 || m.admitted != 0 {
			t.Errorf("count %d admitted %d after the end", m.Count(), m.admitted)
		}
	})
}

// TestEOFCancelsBatchesAndDropsReplies (issue 11.3): a client that sends
// a batch and half-closes is gone: the batch's handlers are cancelled at
// once, the replies queued for it are dropped, and its admission place
// and slots are free without waiting for the request deadline.
func TestEOFCancelsBatchesAndDropsReplies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		m.adm = Admission{MaxSessions: 10}
		c := newGatedConn() // a client that does not read
		done, stop := serveConn(t, m, c, blockers(nil), Profile{Concurrency: 10, RequestTimeout: time.Hour, Capped: true})
		defer stop()
		c.in <- []byte(req(1, "echo")) // answered, queued, never taken
		c.in <- []byte(batchOf(1000, "hang"))
		synctest.Wait()
		s := m.Sessions()[0]
		if p := s.Pending(); p != 10 {
			t.Fatalf("pending %d, want 10", p)
		}
		if s.Held() == 0 {
			t.Fatal("nothing held before EOF")
		}
		start := time.Now()
		close(c.in) // EOF
		<-done
		if el := time.Since(start); el != 0 {
			t.Errorf("session ended %v after EOF, want at once", el)
		}
		if m.Count() != 0 || m.admitted != 0 || s.Pending() != 0 || s.Held() != 0 {
			t.Errorf("count %d admitted %d pending %d held %d after EOF", m.Count(), m.admitted, s.Pending(), s.Held())
		}
		select {
		case msg := <-c.out:
			t.Errorf("written after EOF: %.60s", msg)
		default:
		}
	})
}

// closingConn is a fakeConn that reports its peer closed (PeerClosed)
// once told to, without the reader seeing EOF: the input it has not read
// yet stands before the FIN.
type closingConn struct {
	*fakeConn
	peerGone atomic.Bool
}

func (c *closingConn) PeerClosed() bool         { return c.peerGone.Load() }
func (c *closingConn) SetDiscardHook(func(int)) {}

// TestPeerCloseSeenUnderBackPressure (issue 11.3, the abandon attack): a
// client that pipelines more batches than the session runs at once and
// leaves is cancelled within peerCheckPeriod, although the reader, held
// back by back-pressure, never reads its EOF.
func TestPeerCloseSeenUnderBackPressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := &closingConn{fakeConn: newFakeConn()}
		done, stop := serveConn(t, m, c, blockers(nil), Profile{Concurrency: 4, RequestTimeout: time.Hour})
		defer stop()
		for range DefaultBatchesInFlight + 2 {
			c.in <- []byte(batchOf(100, "hang"))
		}
		synctest.Wait()
		if n := len(c.in); n == 0 {
			t.Fatal("every batch read: the reader is not held back")
		}
		time.Sleep(time.Minute)
		select {
		case <-done:
			t.Fatal("session ended while its peer was there")
		default:
		}
		start := time.Now()
		c.peerGone.Store(true)
		<-done
		if el := time.Since(start); el > peerCheckPeriod {
			t.Errorf("session ended %v after its peer left, want within %v", el, peerCheckPeriod)
		}
		if m.Count() != 0 {
			t.Errorf("%d sessions left", m.Count())
		}
	})
}

// TestSlotHeldUntilWritten (issue 11.4): a request's slot is released
// when its reply has been written, not when it is queued.
func TestSlotHeldUntilWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newGatedConn()
		d := blockers(nil)
		_, stop := serveConn(t, m, c, d, Profile{Concurrency: 1})
		defer stop()
		c.in <- []byte(req(1, "echo"))
		c.in <- []byte(req(2, "echo"))
		synctest.Wait()
		s := m.Sessions()[0]
		if p := s.Pending(); p != 1 {
			t.Fatalf("pending %d with an unwritten reply, want 1 (the slot is held)", p)
		}
		if n := c.reads.Load(); n != 2 {
			t.Fatalf("reads %d, want 2 (the second waits for the slot)", n)
		}
		c.gate <- struct{}{}
		c.read(t)
		synctest.Wait()
		if s.Held() != int64(len(`{"jsonrpc":"2.0","result":[],"id":2}`)+len(req(2, "echo"))) {
			t.Errorf("held %d bytes: want the second reply and request only", s.Held())
		}
		c.gate <- struct{}{}
		c.read(t)
		synctest.Wait()
		if s.Pending() != 0 || s.Held() != 0 || m.budget.used.Load() != 0 {
			t.Errorf("after both writes: pending %d held %d budget %d", s.Pending(), s.Held(), m.budget.used.Load())
		}
	})
}

// TestSendBudgetShedsLargest (issue 11.4): over the server-wide budget the
// session holding the most is closed; the others go on.
func TestSendBudgetShedsLargest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManagerWith(nil, Options{SendBudget: 100_000})
		big, small := newGatedConn(), newGatedConn()
		bigDone, stop := serveConn(t, m, big, blockers(nil), Profile{})
		defer stop()
		_, stop2 := serveConn(t, m, small, blockers(nil), Profile{})
		defer stop2()
		synctest.Wait()
		var bs, ss *Session
		for _, s := range m.Sessions() {
			if s.conn == Conn(big) {
				bs = s
			} else {
				ss = s
			}
		}
		payload := strings.Repeat("x", 10_000)
		for range 3 {
			if err := ss.Notify("n", []string{payload}); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		for i := 0; i < 20 && err == nil; i++ {
			err = bs.Notify("n", []string{payload})
			synctest.Wait()
		}
		<-bigDone
		if ss.Closing() {
			t.Fatal("the small holder was closed")
		}
		if got := m.AdmissionStats().ShedOverBudget; got != 1 {
			t.Errorf("shed over budget %d, want 1", got)
		}
		if used := m.budget.used.Load(); used > 100_000 {
			t.Errorf("budget use %d after shedding", used)
		}
		for range 3 {
			small.gate <- struct{}{}
			small.read(t)
		}
	})
}

// TestSendQueueBytesClosesSession: a client over its own queue bound is
// closed.
func TestSendQueueBytesClosesSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newGatedConn()
		done, stop := serveConn(t, m, c, blockers(nil), Profile{SendQueueBytes: 50_000})
		defer stop()
		synctest.Wait()
		s := m.Sessions()[0]
		payload := strings.Repeat("x", 10_000)
		var err error
		n := 0
		for ; n < 20 && err == nil; n++ {
			err = s.Notify("n", []string{payload})
		}
		if !errors.Is(err, ErrSendQueueFull) || n > 7 {
			t.Fatalf("after %d notifications err = %v, want ErrSendQueueFull by the 7th", n, err)
		}
		c.Close()
		<-done
	})
}

// TestNotifyTimeoutCloses (issue 12.13): a notification not taken within
// NotifyTimeout closes the session.
func TestNotifyTimeoutCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newGatedConn()
		done, stop := serveConn(t, m, c, blockers(nil), Profile{})
		defer stop()
		synctest.Wait()
		s := m.Sessions()[0]
		notify := func(m string) {
			t.Helper()
			if err := s.Notify(m, nil); err != nil {
				t.Fatal(err)
			}
		}
		notify("a") // the writer takes it and waits on the gate
		notify("b")
		time.Sleep(NotifyTimeout - time.Second)
		c.gate <- struct{}{}
		c.read(t) // "a" goes out; "b" waited 29 s: still due
		c.gate <- struct{}{}
		if got := c.read(t); !strings.Contains(got, `"b"`) {
			t.Fatalf("got %s, want b", got)
		}
		notify("c")
		notify("d")
		time.Sleep(NotifyTimeout + time.Second)
		c.gate <- struct{}{}
		c.read(t) // "c"; "d" waited 31 s: the session closes instead
		<-done
		select {
		case m := <-c.out:
			t.Fatalf("stale notification written: %s", m)
		default:
		}
	})
}

// TestHandshakeTimeout (issue 11.5): a connection that sends nothing is
// closed after HandshakeTimeout; one that sent its first request is not.
func TestHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		silent, talker := newFakeConn(), newFakeConn()
		start := time.Now()
		sDone, stop := serveConn(t, m, silent, blockers(nil), Profile{HandshakeTimeout: 15 * time.Second})
		defer stop()
		_, stop2 := serveConn(t, m, talker, blockers(nil), Profile{HandshakeTimeout: 15 * time.Second})
		defer stop2()
		talker.in <- []byte(req(1, "echo"))
		talker.read(t)
		<-sDone
		if el := time.Since(start); el != 15*time.Second {
			t.Errorf("silent connection closed after %v, want 15s", el)
		}
		time.Sleep(time.Minute)
		if m.Count() != 1 {
			t.Errorf("count %d, want the talker still connected", m.Count())
		}
	})
}

// TestDiscardedBytesCharged (issue 12.13): oversized input the transport
// discards costs its bandwidth, up to closing the session.
func TestDiscardedBytesCharged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(nil)
		c := newGatedConn()
		p := Profile{BandwidthUnitCost: 1000, SoftLimit: 1000, HardLimit: 2000}
		done, stop := serveConn(t, m, c, blockers(nil), p)
		defer stop()
		synctest.Wait()
		s := m.Sessions()[0]
		c.hook(500_000)
		if got := s.Cost(); got < 500 {
			t.Errorf("cost %v after 500 kB discarded, want ≥ 500", got)
		}
		if got := s.Counters().RecvBytes.Load(); got != 500_000 {
			t.Errorf("received bytes %d", got)
		}
		c.hook(2_000_000)
		<-done
	})
}

func TestSweepInterval(t *testing.T) {
	for _, tc := range []struct{ timeout, want time.Duration }{
		{0, SweepPeriod}, {600 * time.Second, SweepPeriod}, {100 * time.Second, 10 * time.Second},
		{5 * time.Second, time.Second},
	} {
		m := NewManagerWith(nil, Options{SessionTimeout: tc.timeout})
		if got := m.SweepInterval(); got != tc.want {
			t.Errorf("timeout %v: sweep every %v, want %v", tc.timeout, got, tc.want)
		}
	}
}
