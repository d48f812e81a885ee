package session

import (
	"bytes"
	"runtime"
	"testing"
	"testing/synctest"
	"time"
)

// goid is the current goroutine's id, from its stack header.
func goid() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	return string(b[:bytes.IndexByte(b, ' ')])
}

// A function given to the pool after the previous one returned runs on
// the same goroutine; a pooled goroutine ends after goPoolIdle, or once
// the pool is quiet, and the next function then gets a new one.
func TestGoPoolReusesAndEnds(t *testing.T) {
	tests := []struct {
		name  string
		reuse bool
		end   func(quiet chan struct{}) // what happens between two functions
	}{
		{"reused", true, func(chan struct{}) {}},
		{"idle timeout", false, func(chan struct{}) { time.Sleep(goPoolIdle + time.Second) }},
		{"quiet", false, func(q chan struct{}) { close(q) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				quiet := make(chan struct{})
				q := quiet
				p := newGoPool(func() <-chan struct{} { return q })
				ids := make(chan string, 1)
				p.Go(func() { ids <- goid() })
				first := <-ids
				synctest.Wait() // the goroutine is idle in the pool
				tt.end(quiet)
				synctest.Wait()
				q = make(chan struct{}) // live again
				p.Go(func() { ids <- goid() })
				if second := <-ids; (second == first) != tt.reuse {
					t.Fatalf("goroutines %s then %s, want reuse %v", first, second, tt.reuse)
				}
				close(q) // let the pool's goroutine end
			})
		})
	}
}
