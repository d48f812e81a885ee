package sdk

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestWatchParent: the watchdog fires once the parent PID changes, not before.
func TestWatchParent(t *testing.T) {
	var calls atomic.Int32
	ppid := func() int {
		if calls.Add(1) > 3 {
			return 1
		}
		return 4242
	}
	fired := make(chan [2]int, 1)
	done := make(chan struct{})
	go func() {
		watchParent(t.Context(), ppid, time.Millisecond, func(old, cur int) { fired <- [2]int{old, cur} })
		close(done)
	}()
	select {
	case got := <-fired:
		if got != [2]int{4242, 1} || calls.Load() < 4 {
			t.Errorf("fired with %v after %d polls", got, calls.Load())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watchdog never fired")
	}
	<-done
}
