package peers

import (
	"context"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// attemptDialer wraps the fake dialer and reports every dial to a watched
// address on dials, waiting for the test's ack before it dials: the test
// sees each verification attempt start, at the bubble's time, and may act
// before it goes on.
type attemptDialer struct {
	Dialer
	watch func(addr string) bool
	dials chan time.Time
	ack   chan struct{}
}

func newAttemptDialer(watch func(addr string) bool) *attemptDialer {
	return &attemptDialer{Dialer: newFakeDialer(), watch: watch, dials: make(chan time.Time), ack: make(chan struct{})}
}

func (d *attemptDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.watch(addr) {
		select {
		case d.dials <- time.Now():
			<-d.ack
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// idleLimit is longer than any pause of the schedule: when no attempt
// starts within it, the monitor has stopped.
const idleLimit = 400 * 24 * time.Hour

// nextAttempt returns the bubble time at which the next verification
// attempt dials, or false when none starts within idleLimit. The caller
// acks the dial.
func nextAttempt(d *attemptDialer) (time.Time, bool) {
	select {
	case at := <-d.dials:
		return at, true
	case <-time.After(idleLimit):
		return time.Time{}, false
	}
}

// pauses runs the monitor of a test manager through its attempts until the
// peer is forgotten, returning the pauses between attempts (each
// attempt's dials happen at one instant: network I/O does not move the
// bubble's clock). each (optional) runs at the start of attempt i+1, after
// pause i, before that attempt dials.
func pauses(t *testing.T, m *Manager, d *attemptDialer, limit int, each func(i int)) []time.Duration {
	t.Helper()
	var out []time.Duration
	last, ok := nextAttempt(d)
	if !ok {
		t.Fatal("the monitor never dialled")
	}
	d.ack <- struct{}{}
	for len(out) < limit {
		at, ok := nextAttempt(d)
		if !ok {
			if len(m.Peers()) != 0 {
				t.Fatalf("no attempt for %v, yet the peer is kept: %+v", idleLimit, m.Peers())
			}
			return out
		}
		if at.After(last) {
			out = append(out, at.Sub(last))
			last = at
			if each != nil {
				each(len(out))
			}
		}
		d.ack <- struct{}{}
	}
	t.Fatalf("peer not forgotten after %d pauses: %v", limit, out)
	return nil
}

func to(port int) func(string) bool {
	return func(addr string) bool { return addr == "127.0.0.1:"+itoa(port) }
}

func backoff(tries ...int) []time.Duration {
	var out []time.Duration
	for _, n := range tries {
		out = append(out, 300*time.Second<<n)
	}
	return out
}

// TestForgetNeverGood: an unreachable peer that was never good is retried
// after 600 s and 1200 s and forgotten after the third failure.
func TestForgetNeverGood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newAttemptDialer(func(addr string) bool { return addr == "unreachable.example.com:50001" })
		m := testManager(t, Options{Seeds: []string{"unreachable.example.com t50001"}, Dialer: d}, true)
		got := pauses(t, m, d, 20, nil)
		if want := backoff(1, 2); !reflect.DeepEqual(got, want) {
			t.Errorf("pauses %v, want %v", got, want)
		}
	})
}

// TestForgetOnceGood: a good peer is re-verified 3 h − 10 min later; once
// it becomes unreachable it backs off 300 s × 2^tries and is forgotten
// after 10 failures; it turns stale on the way.
func TestForgetOnceGood(t *testing.T) {
	fp := startFakePeer(t)
	synctest.Test(t, func(t *testing.T) {
		d := newAttemptDialer(to(fp.Port))
		m := testManager(t, Options{Seeds: []string{seed(fp.Port)}, AllowPrivate: true, Dialer: d}, true)
		var statuses []string
		got := pauses(t, m, d, 30, func(i int) {
			if i == 1 {
				fp.Close() // unreachable from the second attempt on
			}
			if p, ok := peerInfo(m, "127.0.0.1", fp.Port); ok {
				statuses = append(statuses, p.Status)
			}
		})
		want := append([]time.Duration{3*time.Hour - 10*time.Minute}, backoff(1, 2, 3, 4, 5, 6, 7, 8, 9)...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pauses %v\nwant %v", got, want)
		}
		if len(statuses) == 0 || statuses[0] != "good" || statuses[len(statuses)-1] != "stale" {
			t.Errorf("statuses %v", statuses)
		}
	})
}

// TestForgetBad: a bad peer is not contacted again and is forgotten after
// three tries.
func TestForgetBad(t *testing.T) {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) { f.Genesis = strings.Repeat("00", 32) })
	synctest.Test(t, func(t *testing.T) {
		var dials atomic.Int32
		d := newAttemptDialer(func(addr string) bool {
			if to(fp.Port)(addr) {
				dials.Add(1)
			}
			return false // counted, not reported
		})
		m := testManager(t, Options{Seeds: []string{seed(fp.Port)}, AllowPrivate: true, Dialer: d}, true)
		synctest.Wait() // the first attempt has marked it bad
		if n, ok := tries(m); n != 1 || !ok {
			t.Fatalf("after the first attempt: %d tries, present %v", n, ok)
		}
		if p, _ := peerInfo(m, "127.0.0.1", fp.Port); p.Status != "bad" {
			t.Fatalf("status %q, want bad", p.Status)
		}
		for i, pause := range backoff(1, 2) {
			time.Sleep(pause - time.Second)
			synctest.Wait()
			if n, ok := tries(m); n != i+1 || !ok {
				t.Fatalf("1 s before the end of pause %d (%v): %d tries, present %v", i+1, pause, n, ok)
			}
			time.Sleep(time.Second)
			synctest.Wait()
		}
		if _, ok := tries(m); ok {
			t.Error("bad peer not forgotten after its third try")
		}
		if n := dials.Load(); n != 1 {
			t.Errorf("bad peer dialled %d times, want once", n)
		}
	})
}

// tries returns the try count of the manager's only peer and whether it is
// still in the table.
func tries(m *Manager) (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.peers) == 0 {
		return 0, false
	}
	return m.peers[0].tryCount, true
}

// TestPortChangeWakes: an admin add_peer with new ports wakes the monitor
// early and the new port is tried.
func TestPortChangeWakes(t *testing.T) {
	fp := startFakePeer(t)
	synctest.Test(t, func(t *testing.T) {
		m := testManager(t, Options{Seeds: []string{"127.0.0.1 t1 s2"}, AllowPrivate: true}, true)
		synctest.Wait() // the first attempt failed on both ports
		time.Sleep(599 * time.Second)
		synctest.Wait()
		if n, ok := tries(m); n != 1 || !ok {
			t.Fatalf("599 s into the 600 s pause: %d tries, present %v", n, ok)
		}
		start := time.Now()
		m.AddAdminPeer("127.0.0.1 t" + itoa(fp.Port) + " s2")
		waitFor(t, "verified over the new port", func() bool {
			for _, p := range m.Peers() {
				if p.Status == "good" {
					return true
				}
			}
			return false
		})
		if waited := time.Since(start); waited >= time.Second {
			t.Errorf("verified %v after the add_peer: the monitor was not woken", waited)
		}
		rows := m.Peers()
		if len(rows) != 1 || rows[0].Features["tcp_port"] != fp.Port {
			t.Errorf("rows %+v", rows)
		}
	})
}
