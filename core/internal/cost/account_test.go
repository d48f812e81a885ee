package cost

import (
	"net"
	"reflect"
	"testing"
	"testing/synctest"
	"time"
)

func tcp(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 50001} }

// newTestModel returns a model with the default config on the system
// clock; tests run it inside a synctest bubble, where time moves only when
// the test sleeps.
func newTestModel() *Model {
	return NewModel(DefaultConfig())
}

func TestDecayOverAnInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		a := m.Open(Spec{Limits: defaults, NoGroups: true})
		a.Bump(500) // |500 − 0| > 100 → recalc at t=0 (no decay yet)
		if c := a.Cost(); c != 500 {
			t.Fatalf("cost = %v, want 500", c)
		}
		time.Sleep(120 * time.Second)
		if c := a.Cost(); c != 500 {
			t.Errorf("decay must be lazy: cost = %v before recalc, want 500", c)
		}
		a.Recalc() // 500 − 120 s × 1.0/s = 380
		if c := a.Cost(); !near(c, 380) {
			t.Errorf("after 120 s: cost = %v, want 380", c)
		}
		// 1000 subscriptions: decay 10000/(10000+5×1000) = 2/3 per second;
		// 300 s later 380 − 200 = 180.
		a.ResetDecay(1000)
		time.Sleep(300 * time.Second)
		a.Recalc()
		if c := a.Cost(); !near(c, 180) {
			t.Errorf("after 300 s at 2/3: cost = %v, want 180", c)
		}
		// never below zero: 180 − 1000 × 2/3 < 0 → 0
		time.Sleep(1000 * time.Second)
		a.Recalc()
		if c := a.Cost(); c != 0 {
			t.Errorf("cost = %v, want 0", c)
		}
		a.Bump(-50)
		if c := a.Cost(); c != 0 {
			t.Errorf("negative bump: cost = %v, want 0", c)
		}
	})
}

func TestRecalcThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		a := m.Open(Spec{Limits: defaults, NoGroups: true})
		a.Bump(50) // 50, last recalc cost 0: no recalc
		time.Sleep(10 * time.Second)
		a.Bump(50) // 100: |100 − 0| = 100 is not > 100: still no recalc, no decay
		if c := a.Cost(); c != 100 {
			t.Fatalf("cost = %v, want 100 (no recalc at exactly 100)", c)
		}
		a.Bump(1) // 101 > 100 → recalc: 101 − 10 s × 1/s = 91
		if c := a.Cost(); !near(c, 91) {
			t.Errorf("cost = %v, want 91", c)
		}
		a.Bump(100) // 191, |191 − 91| = 100: no recalc
		if c := a.Cost(); !near(c, 191) {
			t.Errorf("cost = %v, want 191", c)
		}
	})
}

func TestSoftHardTransitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		var changes [][2]int
		a := m.Open(Spec{Limits: defaults, NoGroups: true, OnTarget: func(o, n int) { changes = append(changes, [2]int{o, n}) }})
		steps := []struct {
			bump     float64
			target   int
			sleep    time.Duration
			throttle bool
		}{
			{900, 10, 0, false},                      // 900 < soft
			{1000, 9, 250 * time.Millisecond, false}, // 1900: f 0.1 → 9 (9 ≥ 8 = 0.8×10)
			{1800, 7, 750 * time.Millisecond, true},  // 3700: f 0.3 → ceil(7) = 7 < 8: throttled
			{5400, 1, 2250 * time.Millisecond, true}, // 9100: f 0.9 → 1
			{900, 0, 2500 * time.Millisecond, true},  // 10000: f 1 → 0
		}
		for i, st := range steps {
			a.Bump(st.bump)
			if got := a.Target(); got != st.target {
				t.Errorf("step %d (cost %v): target = %d, want %d", i, a.Cost(), got, st.target)
			}
			if got := a.Sleep(); got != st.sleep {
				t.Errorf("step %d: sleep = %v, want %v", i, got, st.sleep)
			}
			if got := a.Throttled(); got != st.throttle {
				t.Errorf("step %d: throttled = %v, want %v", i, got, st.throttle)
			}
		}
		want := [][2]int{{10, 9}, {9, 7}, {7, 1}, {1, 0}}
		if !reflect.DeepEqual(changes, want) {
			t.Errorf("target changes = %v, want %v", changes, want)
		}
	})
}

func TestThrottlingDisabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		for _, l := range []Limits{{InitConcurrent: 10}, {Soft: 3000, Hard: 3000, InitConcurrent: 10}} {
			a := m.Open(Spec{Limits: l, Addr: tcp("81.2.69.10")})
			a.Bump(1e6)
			if a.Target() != 10 || a.Fraction() != 0 || a.Sleep() != 0 {
				t.Errorf("%+v: target %d fraction %v sleep %v, want 10/0/0", l, a.Target(), a.Fraction(), a.Sleep())
			}
			if a.Cost() != 1e6 {
				t.Errorf("cost still counted: got %v", a.Cost())
			}
			a.Close()
		}
	})
}

func TestGroupShares(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		a := m.Open(Spec{Limits: defaults, Addr: tcp("81.2.69.10"), Owner: "A"})
		a.Bump(5000)
		// B shares A's /24 and time slice: extra = 1.0×5000 from the subnet;
		// the slice's 0.03×5000 is capped at B's own cost (0):
		// f = (5000 − 1000)/9000 = 0.4444 → target ceil(5.556) = 6, throttled
		// from its first request; sleep 0.4444 × 2.5 s = 1.1111 s.
		b := m.Open(Spec{Limits: defaults, Addr: tcp("81.2.69.200"), Owner: "B"})
		if x := b.ExtraCost(); !near(x, 5000) {
			t.Errorf("B extra = %v, want 5000", x)
		}
		if b.Target() != 6 || !b.Throttled() {
			t.Errorf("B target = %d throttled %v, want 6 true", b.Target(), b.Throttled())
		}
		if s := b.Sleep(); s != 1111111111 { // 4000/9000 × 2.5e9 ns
			t.Errorf("B sleep = %v", s)
		}
		// C is private: only the time slice, 0.03 × 5000 = 150 capped at C's
		// own cost: 0 → unthrottled. After 100 of its own: min(150, 100).
		c := m.Open(Spec{Limits: defaults, Addr: tcp("192.168.1.5"), Owner: "C"})
		if g := c.Groups(); !reflect.DeepEqual(g, []string{"t0"}) {
			t.Errorf("private session groups = %v, want [t0]", g)
		}
		if x := c.ExtraCost(); x != 0 {
			t.Errorf("C extra = %v, want 0", x)
		}
		c.Bump(100)
		if x := c.ExtraCost(); !near(x, 100) {
			t.Errorf("C extra after 100 = %v, want 100 (slice share capped at own cost)", x)
		}
		c.Bump(-100)
		if c.Target() != 10 {
			t.Errorf("C target = %d, want 10", c.Target())
		}
		if g := b.Groups(); !reflect.DeepEqual(g, []string{"81.2.69.0/24", "t0"}) {
			t.Errorf("B groups = %v", g)
		}
		// A's own share excludes itself; C's cost now counts in t0 only:
		// C bumps 1000 → A extra = 1.0×(5000−5000) + 0.03×(6000−5000) = 30.
		c.Bump(1000)
		if x := a.ExtraCost(); !near(x, 30) {
			t.Errorf("A extra = %v, want 30", x)
		}
		gs := m.Groups()
		if len(gs) != 2 || gs[0].Name != "81.2.69.0/24" || gs[1].Name != "t0" {
			t.Fatalf("groups = %+v", gs)
		}
		if len(gs[0].Owners) != 2 || !near(gs[0].MembersCost, 5000) || gs[0].Weight != 1 {
			t.Errorf("subnet group = %+v", gs[0])
		}
		if len(gs[1].Owners) != 3 || !near(gs[1].MembersCost, 6000) || gs[1].Weight != 0.03 {
			t.Errorf("slice group = %+v", gs[1])
		}
	})
}

func TestRetainedCostAndRefund(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		a := m.Open(Spec{Limits: defaults, Addr: tcp("81.2.69.10")})
		a.Bump(1500)
		time.Sleep(100 * time.Second) // no recalc: the cost stays 1500
		a.Close()
		a.Close() // harmless
		// Closed at 1500 (as last computed, not 1400): both groups retain it.
		gs := m.Groups()
		if len(gs) != 2 || gs[0].RetainedCost != 1500 || gs[1].RetainedCost != 1500 || len(gs[0].Owners) != 0 {
			t.Fatalf("groups after close = %+v", gs)
		}
		// A reconnect at 100 s is still in slice t0: extra = 1500 from the
		// subnet, the slice's 0.03×1500 capped at its own cost (0).
		d := m.Open(Spec{Limits: defaults, Addr: tcp("81.2.69.77")})
		if x := d.ExtraCost(); !near(x, 1500) {
			t.Errorf("reconnect extra = %v, want 1500", x)
		}
		// Refund: 300 × 10000 / 5000 = 600 per period.
		for i, want := range []float64{900, 300, 0, 0} {
			m.Refund()
			gs := m.Groups()
			if len(gs) != 2 || gs[0].RetainedCost != want {
				t.Errorf("refund %d: groups %+v, want retained %v", i+1, gs, want)
			}
		}
		// With d gone (cost 0 retained) the next refund deletes both groups.
		d.Close()
		m.Refund()
		if gs := m.Groups(); len(gs) != 0 {
			t.Errorf("empty groups not deleted: %+v", gs)
		}
	})
}

func TestRefundWithoutHardLimitDropsRetained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewModel(Config{IPv4Prefix: 24, IPv6Prefix: 48})
		a := m.Open(Spec{Limits: Limits{}, Addr: tcp("81.2.69.10")})
		a.Bump(5000)
		a.Close()
		m.Refund()
		if gs := m.Groups(); len(gs) != 0 {
			t.Errorf("groups = %+v, want none", gs)
		}
	})
}

func TestTimeSlices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range []struct {
			age  time.Duration
			want string
		}{
			{0, "t0"}, {299 * time.Second, "t0"}, {300 * time.Second, "t1"}, {601 * time.Second, "t2"}, {-time.Second, "t0"},
		} {
			if got := SliceGroup(tc.age); got != tc.want {
				t.Errorf("SliceGroup(%v) = %s, want %s", tc.age, got, tc.want)
			}
		}
		m := newTestModel()
		var got []string
		for _, step := range []time.Duration{0, 299 * time.Second, time.Second, 301 * time.Second} {
			time.Sleep(step) // ages 0, 299, 300, 601
			a := m.Open(Spec{Limits: defaults, Addr: tcp("10.0.0.1")})
			got = append(got, a.Groups()...)
		}
		if want := []string{"t0", "t0", "t1", "t2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("slices = %v, want %v", got, want)
		}
	})
}

func TestRecalcAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newTestModel()
		var fired int
		a := m.Open(Spec{Limits: defaults, NoGroups: true, OnTarget: func(int, int) { fired++ }})
		a.Bump(1900) // f 0.1 → 9
		b := m.Open(Spec{Limits: defaults, NoGroups: true})
		b.Bump(50)
		time.Sleep(300 * time.Second)
		m.RecalcAll() // a: 1900 − 300 = 1600 → f 0.0667 → ceil(9.33) = 10; b: 0
		if !near(a.Cost(), 1600) || a.Target() != 10 || b.Cost() != 0 {
			t.Errorf("a %v/%d b %v, want 1600/10 0", a.Cost(), a.Target(), b.Cost())
		}
		if fired != 2 {
			t.Errorf("OnTarget fired %d times, want 2 (10→9, 9→10)", fired)
		}
	})
}
