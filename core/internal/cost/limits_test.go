package cost

import (
	"math"
	"testing"
	"time"
)

const eps = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// Defaults: soft 1000, hard 10000, init 10, sleep 2.5 s. The band is
// hard − soft = 9000 wide.
var defaults = Limits{Soft: 1000, Hard: 10000, SleepMax: 2500 * time.Millisecond, InitConcurrent: 10}

func TestFractionTargetSleep(t *testing.T) {
	for _, tc := range []struct {
		name     string
		l        Limits
		total    float64
		fraction float64
		target   int
		sleep    time.Duration
	}{
		// below or at soft: no throttling
		{"zero", defaults, 0, 0, 10, 0},
		{"at soft", defaults, 1000, 0, 10, 0},
		// (1900−1000)/9000 = 0.1 → ceil(0.9×10) = 9; sleep 0.1×2.5 s
		{"tenth", defaults, 1900, 0.1, 9, 250 * time.Millisecond},
		// (5500−1000)/9000 = 0.5 → ceil(5) = 5; sleep 1.25 s
		{"half", defaults, 5500, 0.5, 5, 1250 * time.Millisecond},
		// 8100/9000 = 0.9 → ceil(1.0) = 1; sleep 2.25 s
		{"nine tenths", defaults, 9100, 0.9, 1, 2250 * time.Millisecond},
		// 8999/9000 → (1/9000)×10 = 0.0011 → ceil = 1
		{"just below hard", defaults, 9999, 8999.0 / 9000, 1, 2499722222 /* 8999/9000 × 2.5e9 ns = 2,499,722,222.2 */},
		// at hard: fraction 1 → 0; full sleep
		{"at hard", defaults, 10000, 1, 0, 2500 * time.Millisecond},
		// above hard: 11000/9000 = 1.2222 → ceil(−2.22) = −2 → 0; sleep 3.0556 s
		{"above hard", defaults, 12000, 11000.0 / 9000, 0, 3055555555 /* 11000/9000 × 2.5e9 ns = 3,055,555,555.6 */},
		// init 20: (3250−1000)/9000 = 0.25 → ceil(0.75×20) = 15
		{"init 20", Limits{Soft: 1000, Hard: 10000, InitConcurrent: 20}, 3250, 0.25, 15, 0},
		// hard − soft ≤ 0: throttling off whatever the cost
		{"both zero", Limits{InitConcurrent: 10}, 1e9, 0, 10, 0},
		{"equal", Limits{Soft: 5000, Hard: 5000, InitConcurrent: 10}, 1e9, 0, 10, 0},
		{"hard below soft", Limits{Soft: 5000, Hard: 4000, InitConcurrent: 10}, 1e9, 0, 10, 0},
		// SP22 bumps equal limits to hard = soft+1: a band of width 1.
		// 1000.5 → 0.5 → 5; 1001 → 1 → 0.
		{"band of one, middle", Limits{Soft: 1000, Hard: 1001, InitConcurrent: 10}, 1000.5, 0.5, 5, 0},
		{"band of one, top", Limits{Soft: 1000, Hard: 1001, InitConcurrent: 10}, 1001, 1, 0, 0},
		// InitConcurrent ≤ 0 means 10: 0.5 → 5
		{"default init", Limits{Soft: 1000, Hard: 10000}, 5500, 0.5, 5, 0},
	} {
		f := tc.l.Fraction(tc.total)
		if !near(f, tc.fraction) {
			t.Errorf("%s: fraction = %v, want %v", tc.name, f, tc.fraction)
		}
		if got := tc.l.Target(f); got != tc.target {
			t.Errorf("%s: target = %d, want %d", tc.name, got, tc.target)
		}
		if got := tc.l.Sleep(f); got != tc.sleep {
			t.Errorf("%s: sleep = %v, want %v", tc.name, got, tc.sleep)
		}
	}
}

func TestDecayRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Limits
		subs int
		want float64
	}{
		{"electrum, no subs", defaults, 0, 1},                       // 10000/10000
		{"electrum, 1000 subs", defaults, 1000, 10000.0 / 15000},    // 10000/(10000+5000) = 0.667
		{"library", LibraryLimits(), 0, 10000.0 / 3600},             // 2.78 per second
		{"library, 720 subs", LibraryLimits(), 720, 10000.0 / 7200}, // 10000/(3600+5×720) = 1.389
		{"throttling off", Limits{}, 0, 0},
	} {
		if got := tc.l.Decay(tc.subs); math.Abs(got-tc.want) > eps {
			t.Errorf("%s: decay = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLibraryLimits(t *testing.T) {
	l := LibraryLimits()
	if l.Soft != 2000 || l.Hard != 10000 || l.InitConcurrent != 20 || l.SleepMax != 2500*time.Millisecond {
		t.Errorf("library limits = %+v", l)
	}
}
