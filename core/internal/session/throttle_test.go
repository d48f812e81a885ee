package session

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/core/internal/cost"
)

// Throttling sleeps are real timers: the tests that look at them run in
// a testing/synctest bubble, where a request's round trip takes exactly
// its sleep (the handlers take no time).

// roundTrip sends msg on c and returns the reply and the bubble time it
// took.
func roundTrip(t *testing.T, c *fakeConn, msg string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	c.in <- []byte(msg)
	got := c.read(t)
	return got, time.Since(start)
}

type rig struct {
	m *Manager
}

// newRig returns a manager on the default cost config. Tests that let time
// pass call it inside a testing/synctest bubble and sleep there.
func newRig(timeout time.Duration) *rig {
	return &rig{m: NewManagerWith(nil, Options{Costs: cost.DefaultConfig(), SessionTimeout: timeout})}
}

// serve starts a session from ip and waits until it is registered.
func (r *rig) serve(t *testing.T, ip string, d Factory, p Profile) (*Session, *fakeConn, chan struct{}) {
	t.Helper()
	c := newFakeConn()
	c.addr = &net.TCPAddr{IP: net.ParseIP(ip), Port: 50001}
	before := r.m.Count()
	done := make(chan struct{})
	go func() { r.m.Serve(context.Background(), c, d, p); close(done) }()
	t.Cleanup(func() { c.Close(); <-done })
	waitFor(t, func() bool { return r.m.Count() > before })
	ss := r.m.Sessions()
	return ss[len(ss)-1], c, done
}

// waitFor polls cond: a hang guard, not a timing assertion.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}

func waitDone(t *testing.T, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("session did not end")
	}
}

func echoDispatcher() *dispatcher {
	return &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){"echo": echo}}
}

// Client limits with a narrow band: soft 1000, hard 2000 (band 1000),
// 10 concurrent, 1 s max sleep, no bandwidth or connection cost, no decay.
var narrow = Profile{Concurrency: 10, SoftLimit: 1000, HardLimit: 2000, RequestSleep: time.Second, DecayDivisor: noDecay}

// noDecay as a DecayDivisor makes the decay exactly 0 per second: the
// throttling tests below check the cost arithmetic while the bubble's clock
// moves through the sleeps, so no cost may drain meanwhile.
var noDecay = math.Inf(1)

func TestFloodUntilExcessiveResourceUsage(t *testing.T) {
	synctest.Test(t, testFlood)
}

func testFlood(t *testing.T) {
	r := newRig(0)
	var mu sync.Mutex
	var codes []int
	p := narrow
	p.Observe = func(method string, code int, _ time.Duration) { mu.Lock(); codes = append(codes, code); mu.Unlock() }
	s, c, done := r.serve(t, "127.0.0.1", echoDispatcher(), p)
	// Each unknown method costs 100. Recalcs happen when the cost moved
	// more than 100 since the last one: after errors 2, 4, 6, ...; after
	// error e (even) the fraction is (100e − 1000)/1000.
	// Request k runs with the fraction of the last even e ≤ k−1:
	// k ≤ 12 → 0; 13,14 → 0.2; 15,16 → 0.4; 17,18 → 0.6; 19,20 → 0.8.
	// After error 20 the cost is 2000 = hard → target 0: request 21 is
	// refused with -101 and the session closed.
	var sleeps []time.Duration
	for k := 1; k <= 20; k++ {
		got, took := roundTrip(t, c, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"nope"}`, k))
		want := fmt.Sprintf(`{"jsonrpc":"2.0","error":{"code":-32601,"message":"unknown method \"nope\""},"id":%d}`, k)
		if got != want {
			t.Fatalf("request %d: got %s", k, got)
		}
		if took > 0 {
			sleeps = append(sleeps, took)
		}
	}
	if tg := s.ConcurrencyTarget(); tg != 0 {
		t.Fatalf("target after 20 errors = %d, want 0", tg)
	}
	c.in <- []byte(`{"jsonrpc":"2.0","id":21,"method":"echo","params":[]}`)
	if got, want := c.read(t), `{"jsonrpc":"2.0","error":{"code":-101,"message":"excessive resource usage"},"id":21}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	waitDone(t, done)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	want := []time.Duration{ms(200), ms(200), ms(400), ms(400), ms(600), ms(600), ms(800), ms(800)}
	if !reflect.DeepEqual(sleeps, want) {
		t.Errorf("sleeps = %v, want %v", sleeps, want)
	}
	mu.Lock()
	if len(codes) != 21 || codes[0] != -32601 || codes[19] != -32601 || codes[20] != -101 {
		t.Errorf("observed codes = %v", codes)
	}
	mu.Unlock()
	if st := r.m.Stats(); st.Excessive != 1 || st.Sessions != 0 {
		t.Errorf("stats = %+v", st)
	}
	// 127.0.0.1 has no subnet group; its time slice t0 keeps the cost it
	// closed with, 21 errors × 100 (the -101 reply is charged too), capped
	// at the hard limit (cost.Limits.ShareCeiling): 2000.
	gs := r.m.Groups()
	if len(gs) != 1 || gs[0].Name != "t0" || gs[0].RetainedCost != 2000 || gs[0].Sessions != 0 {
		t.Errorf("groups after close = %+v", gs)
	}
}

func TestGroupShareThrottlesSecondSession(t *testing.T) {
	synctest.Test(t, testGroupShare)
}

func testGroupShare(t *testing.T) {
	r := newRig(0)
	p := Profile{Concurrency: 10, SoftLimit: 1000, HardLimit: 10000, RequestSleep: 2500 * time.Millisecond, DecayDivisor: noDecay}
	d := echoDispatcher()
	a, _, _ := r.serve(t, "81.2.69.10", d, p)
	a.AddCost(5000)
	// A alone: f = 4000/9000 = 0.444 → ceil(5.56) = 6 < 8: throttled.
	if a.ConcurrencyTarget() != 6 {
		t.Errorf("A target = %d, want 6", a.ConcurrencyTarget())
	}
	// B shares A's /24 (weight 1) and slice t0 (0.03, but a slice share
	// is capped at the session's own cost, 0 here; cost.SliceShareCap):
	// extra = 5000; f = 4000/9000 = 0.4444 → ceil(5.56) = 6;
	// sleep 0.4444 × 2.5 s = 1.111111111 s.
	b, bc, _ := r.serve(t, "81.2.69.20", d, p)
	if x := b.ExtraCost(); x < 4999.999 || x > 5000.001 {
		t.Errorf("B extra cost = %v, want 5000", x)
	}
	if b.ConcurrencyTarget() != 6 || !b.Throttled() {
		t.Errorf("B target %d throttled %v, want 6 true", b.ConcurrencyTarget(), b.Throttled())
	}
	if _, took := roundTrip(t, bc, `{"jsonrpc":"2.0","id":1,"method":"echo","params":[]}`); took != 1111111111 {
		t.Errorf("B slept %v, want 1.111111111s", took)
	}
	// C is private: no subnet group; slice share min(0.03 × 5000, own 0) = 0.
	cs, cc, _ := r.serve(t, "192.168.1.5", d, p)
	if g := cs.Groups(); !reflect.DeepEqual(g, []string{"t0"}) {
		t.Errorf("C groups = %v", g)
	}
	if cs.ConcurrencyTarget() != 10 || cs.Throttled() {
		t.Errorf("C target = %d", cs.ConcurrencyTarget())
	}
	if _, took := roundTrip(t, cc, `{"jsonrpc":"2.0","id":1,"method":"echo","params":[]}`); took != 0 {
		t.Errorf("C must not sleep: slept %v", took)
	}
	gs := r.m.Groups()
	if len(gs) != 2 {
		t.Fatalf("groups = %+v", gs)
	}
	sub, slice := gs[0], gs[1]
	if sub.Name != "81.2.69.0/24" || !reflect.DeepEqual(sub.Members, []uint64{a.ID(), b.ID()}) || sub.MembersCost != 5000 || sub.Weight != 1 {
		t.Errorf("subnet group = %+v", sub)
	}
	if sub.RecvCount != 1 || sub.SendCount != 1 {
		t.Errorf("subnet group counters = %+v", sub)
	}
	if slice.Name != "t0" || slice.Sessions != 3 || slice.Weight != 0.03 || slice.RecvCount != 2 {
		t.Errorf("slice group = %+v", slice)
	}
	if st := r.m.Stats(); st.Throttled != 2 || st.Sessions != 3 {
		t.Errorf("stats = %+v, want 2 throttled of 3", st)
	}
}

func TestIdleSweep(t *testing.T) { synctest.Test(t, testIdleSweep) }

func testIdleSweep(t *testing.T) {
	r := newRig(600 * time.Second)
	d := echoDispatcher()
	_, _, xDone := r.serve(t, "81.2.69.10", d, Profile{})
	y, yc, _ := r.serve(t, "81.2.69.11", d, Profile{})
	time.Sleep(500 * time.Second)
	yc.in <- []byte(`{"jsonrpc":"2.0","id":1,"method":"echo","params":[]}`)
	yc.read(t)
	// Notifications sent to X are no activity.
	time.Sleep(200 * time.Second) // X idle 700 s > 600; Y idle 200 s
	if n := r.m.SweepIdle(); n != 1 {
		t.Fatalf("swept %d sessions, want 1", n)
	}
	waitDone(t, xDone)
	if ss := r.m.Sessions(); len(ss) != 1 || ss[0] != y {
		t.Errorf("live sessions = %v, want only Y", ss)
	}
	if st := r.m.Stats(); st.Idle != 1 {
		t.Errorf("idle count = %d", st.Idle)
	}
	off := newRig(0)
	off.serve(t, "81.2.69.12", d, Profile{})
	time.Sleep(time.Hour)
	if n := off.m.SweepIdle(); n != 0 {
		t.Errorf("timeout 0 swept %d", n)
	}
}

func TestPeriodicRecalcGrowsConcurrency(t *testing.T) { synctest.Test(t, testPeriodicRecalc) }

func testPeriodicRecalc(t *testing.T) {
	r := newRig(0)
	d := echoDispatcher()
	d.subs = 1000 // the handler's Info
	p := Profile{Concurrency: 4, SoftLimit: 1000, HardLimit: 10000}
	s, _, _ := r.serve(t, "81.2.69.10", d, p)
	if s.Subscriptions() != 1000 {
		t.Fatalf("subscriptions = %d", s.Subscriptions())
	}
	s.acct.Recalc() // start the decay now: serve's polling let the clock move
	s.AddCost(5500) // f 0.5 → ceil(0.5 × 4) = 2
	if tg, _ := s.lim.state(); tg != 2 || s.ConcurrencyTarget() != 2 {
		t.Fatalf("limiter target = %d, session target %d, want 2", tg, s.ConcurrencyTarget())
	}
	// 300 s later the decay is reset to 10000/(10000 + 5×1000) = 2/3 per
	// second and applied: 5500 − 200 = 5300 → f 0.4778 → ceil(2.09) = 3.
	time.Sleep(300 * time.Second)
	r.m.Recalc()
	if c := s.Cost(); c < 5299.999 || c > 5300.001 {
		t.Errorf("cost = %v, want 5300", c)
	}
	if tg, _ := s.lim.state(); tg != 3 {
		t.Errorf("limiter target = %d, want 3", tg)
	}
	// Three hours later (3 × 3600 × 2/3 = 7200 > 5300) the cost is gone:
	// back to 4.
	time.Sleep(3 * time.Hour)
	r.m.Recalc()
	if tg, _ := s.lim.state(); tg != 4 || s.Cost() != 0 {
		t.Errorf("limiter target = %d cost %v, want 4 and 0", tg, s.Cost())
	}
}

func TestAdminProfileAndLogNew(t *testing.T) {
	p := AdminProfile()
	if p.Concurrency != 20 || p.SoftLimit != 2000 || p.HardLimit != 10000 || p.BandwidthUnitCost != 100000 ||
		p.RequestTimeout != 0 || p.MaxSend != 0 || !p.NoGroups || p.DecayDivisor != 3600 {
		t.Errorf("admin profile = %+v", p)
	}
	r := newRig(0)
	r.m.SetLogNew(true)
	s, _, _ := r.serve(t, "81.2.69.10", echoDispatcher(), p)
	if !s.Logged() || len(s.Groups()) != 0 || len(r.m.Groups()) != 0 {
		t.Errorf("logged %v groups %v / %v", s.Logged(), s.Groups(), r.m.Groups())
	}
	r.m.SetLogNew(false)
	s2, _, _ := r.serve(t, "81.2.69.11", echoDispatcher(), Profile{})
	if s2.Logged() {
		t.Error("log new off: session logged")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	r := newRig(time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.m.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
