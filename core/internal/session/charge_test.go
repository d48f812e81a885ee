package session

import (
	"math"
	"net"

	"testing"
	"testing/synctest"
	"time"
)

// chargeProfile: ElectrumX's limits, the client services' up-front batch
// charge, no decay, no bandwidth or connection cost.
var chargeProfile = Profile{Concurrency: 10, SoftLimit: 1000, HardLimit: 10000, RequestSleep: 2500 * time.Millisecond,
	DecayDivisor: noDecay, BatchItemCost: BatchItemCost, MaxBatch: 10000, RequestTimeout: time.Hour}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// TestWalletBatchNotThrottled (issue 11): a wallet's batch of 300 items
// is charged 30 up front, far from the soft limit, and once answered
// the session's cost is what the methods charged (0 here).
func TestWalletBatchNotThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		r := newRig(0)
		s, c, _ := r.serve(t, "81.2.69.10", blockers(release), chargeProfile)
		c.in <- []byte(batchOf(300, "stuck"))
		synctest.Wait()
		if got := s.Cost(); !near(got, 30) {
			t.Errorf("cost while the batch runs %v, want 30 (300 × %v)", got, BatchItemCost)
		}
		if s.ConcurrencyTarget() != 10 || s.Throttled() {
			t.Errorf("target %d throttled %v, want 10 false", s.ConcurrencyTarget(), s.Throttled())
		}
		close(release)
		c.read(t)
		synctest.Wait()
		if got := s.Cost(); !near(got, 0) {
			t.Errorf("cost after the answers %v, want 0 (every up-front charge given back)", got)
		}
	})
}

// TestAbandonedBatchesStayCharged (issue 11, the abandon attack): a
// client that sends two 9,000-item batches and leaves keeps the charge
// for every item it left, 1,800; its /24 group retains it, so the next
// session from that network starts throttled as it would after a client
// that had waited for those items.
func TestAbandonedBatchesStayCharged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(0)
		d := blockers(nil)
		ac := &closingConn{fakeConn: newFakeConn()}
		ac.addr = &net.TCPAddr{IP: net.ParseIP("81.2.70.10"), Port: 50001}
		done, stop := serveConn(t, r.m, ac, d, chargeProfile)
		defer stop()
		ac.in <- []byte(batchOf(9000, "hang"))
		ac.in <- []byte(batchOf(9000, "hang"))
		synctest.Wait()
		a := r.m.Sessions()[0]
		if got := a.Cost(); !near(got, 1800) {
			t.Errorf("cost with two batches in flight %v, want 1800", got)
		}
		// The client leaves; the reader, held back by the second batch's
		// wait for a slot, sees it through the peer watch.
		ac.peerGone.Store(true)
		close(ac.in)
		waitDone(t, done)
		b, bc, _ := r.serve(t, "81.2.70.20", echoDispatcher(), chargeProfile)
		if x := b.ExtraCost(); !near(x, 1800) {
			t.Errorf("next session's extra cost %v, want 1800 retained by 81.2.70", x)
		}
		// f = (1800 − 1000) / 9000; sleep f × 2.5 s = 0.2222 s.
		if _, took := roundTrip(t, bc, req(1, "echo")); took != 222222222 {
			t.Errorf("next session's request slept %v, want 222.222222ms", took)
		}
		// Another network is not affected.
		_, oc, _ := r.serve(t, "81.2.71.10", echoDispatcher(), chargeProfile)
		if _, took := roundTrip(t, oc, req(1, "echo")); took != 0 {
			t.Errorf("a stranger's request slept %v", took)
		}
	})
}
