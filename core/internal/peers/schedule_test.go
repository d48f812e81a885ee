package peers

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// nextPause returns the next pause the monitor asked the clock for, or
// false once gone() holds (the peer was forgotten).
func nextPause(t *testing.T, clk *fakeClock, gone func() bool) (time.Duration, bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case d := <-clk.added:
			return d, true
		case <-time.After(5 * time.Millisecond):
			if gone() {
				return 0, false
			}
		}
	}
	t.Fatal("monitor neither paused nor forgot the peer")
	return 0, false
}

// pauses advances the clock through every pause until the peer is
// forgotten, returning the pauses; stop (optional) runs after each pause
// is observed and before the clock moves.
func pauses(t *testing.T, m *Manager, clk *fakeClock, limit int, each func(i int)) []time.Duration {
	t.Helper()
	var out []time.Duration
	gone := func() bool { return len(m.Peers()) == 0 }
	for len(out) < limit {
		d, ok := nextPause(t, clk, gone)
		if !ok {
			return out
		}
		out = append(out, d)
		if each != nil {
			each(len(out))
		}
		clk.Advance(d)
	}
	t.Fatalf("peer not forgotten after %d pauses: %v", limit, out)
	return nil
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
	m, clk := testManager(t, Options{Seeds: []string{"unreachable.example.com t50001"}}, true)
	got := pauses(t, m, clk, 20, nil)
	if want := backoff(1, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("pauses %v, want %v", got, want)
	}
}

// TestForgetOnceGood: a good peer is re-verified 3 h − 10 min later; once
// it becomes unreachable it backs off 300 s × 2^tries and is forgotten
// after 10 failures; it turns stale on the way.
func TestForgetOnceGood(t *testing.T) {
	fp := startFakePeer(t)
	m, clk := testManager(t, Options{Seeds: []string{seed(fp.Port)}, AllowPrivate: true}, true)
	var statuses []string
	got := pauses(t, m, clk, 30, func(i int) {
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
	if statuses[0] != "good" || statuses[len(statuses)-1] != "stale" {
		t.Errorf("statuses %v", statuses)
	}
}

// TestForgetBad: a bad peer is not contacted again and is forgotten after
// three tries.
func TestForgetBad(t *testing.T) {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) { f.Genesis = strings.Repeat("00", 32) })
	m, clk := testManager(t, Options{Seeds: []string{seed(fp.Port)}, AllowPrivate: true}, true)
	got := pauses(t, m, clk, 20, func(i int) {
		if p, _ := peerInfo(m, "127.0.0.1", fp.Port); p.Status != "bad" {
			t.Errorf("pause %d: status %q", i, p.Status)
		}
	})
	if want := backoff(1, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("pauses %v, want %v", got, want)
	}
}

// TestPortChangeWakes: an admin add_peer with new ports wakes the monitor
// early and the new port is tried.
func TestPortChangeWakes(t *testing.T) {
	fp := startFakePeer(t)
	m, clk := testManager(t, Options{Seeds: []string{"127.0.0.1 t1 s2"}, AllowPrivate: true}, true)
	if d, _ := nextPause(t, clk, func() bool { return false }); d != 600*time.Second {
		t.Fatalf("first pause %v", d)
	}
	m.AddAdminPeer("127.0.0.1 t" + itoa(fp.Port) + " s2")
	waitFor(t, "verified over the new port", func() bool {
		for _, p := range m.Peers() {
			if p.Status == "good" {
				return true
			}
		}
		return false
	})
	rows := m.Peers()
	if len(rows) != 1 || rows[0].Features["tcp_port"] != fp.Port {
		t.Errorf("rows %+v", rows)
	}
}
