package session

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLargeBatchRefusedBeforeDecode (issue 11, the abandon attack): a
// session at its hard cost limit, by its subnet group's retained cost or
// by the up-front charge of its own batch, gets one -101 (id null) for a
// batch of 64 kB or more, which is not decoded (an invalid one gets no
// parse error either), and is closed; a wallet's small batch keeps
// ElectrumX's answer, -101 for each item, then the close; a session of
// another /24 is answered.
func TestLargeBatchRefusedBeforeDecode(t *testing.T) {
	const refusedWhole = `{"jsonrpc":"2.0","error":{"code":-101,"message":"excessive resource usage"},"id":null}`
	item := func(id int) string {
		return `{"jsonrpc":"2.0","error":{"code":-101,"message":"excessive resource usage"},"id":` + string(rune('0'+id)) + `}`
	}
	large := batchOf(1500, "echo") // 66 kB
	if len(large) < decodeTurnBytes {
		t.Fatalf("large batch is %d bytes, below %d", len(large), decodeTurnBytes)
	}
	for _, tc := range []struct {
		name     string
		retained float64 // left in 81.2.69.0/24 by an earlier session
		from     string
		itemCost float64 // Profile.BatchItemCost
		msg      string
		want     string // the reply; "" for any batch of results
		codes    int    // replies observed
		closed   bool
	}{
		{"large batch, group over the hard limit", 5000, "81.2.69.11", 0, large, refusedWhole, 1, true},
		{"large invalid batch, group over the hard limit", 5000, "81.2.69.11", 0,
			"[" + strings.Repeat(" ", 70000) + "x]", refusedWhole, 1, true},
		{"wallet's batch, group over the hard limit", 5000, "81.2.69.11", 0, batchOf(3, "echo"),
			"[" + item(0) + "," + item(1) + "," + item(2) + "]", 3, true},
		{"large batch, another /24", 5000, "81.2.70.1", 0, large, "", 1500, false},
		// 1,500 retained (target 5), then 1,500 × 1.0 charged up front.
		{"large batch over the hard limit by its own charge", 1500, "81.2.69.11", 1, large, refusedWhole, 1, true},
		{"large batch under the soft limit with its charge", 500, "81.2.69.11", 0.1, large, "", 1500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(0)
			p := narrow // soft 1000, hard 2000, no decay
			x, xc, xDone := r.serve(t, "81.2.69.10", echoDispatcher(), p)
			x.AddCost(tc.retained)
			xc.Close()
			waitDone(t, xDone)
			var mu sync.Mutex
			codes := 0
			p.BatchItemCost = tc.itemCost
			p.Observe = func(string, int, time.Duration) { mu.Lock(); codes++; mu.Unlock() }
			_, c, done := r.serve(t, tc.from, echoDispatcher(), p)
			c.in <- []byte(tc.msg)
			got := c.read(t)
			switch {
			case tc.want == "" && !strings.HasPrefix(got, `[{"jsonrpc":"2.0","result":[]`):
				t.Errorf("reply %.200s, want the batch's results", got)
			case tc.want != "" && got != tc.want:
				t.Errorf("reply %.300s, want %s", got, tc.want)
			}
			if tc.closed {
				waitDone(t, done)
			} else if st := r.m.Stats(); st.Sessions != 1 {
				t.Errorf("%d sessions, want the batch's session open", st.Sessions)
			}
			mu.Lock()
			defer mu.Unlock()
			if codes != tc.codes {
				t.Errorf("%d replies observed, want %d", codes, tc.codes)
			}
		})
	}
}
