package session

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkBatch serves a 1,000-item batch of a cheap method per
// iteration through one session and reads its reply: the session layer's
// cost per batch item (slots, turns, deadline, workers, assembly).
func BenchmarkBatch(b *testing.B) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){"echo": echo}}
	m := NewManager(nil)
	c := newFakeConn()
	done := make(chan struct{})
	p := Profile{Concurrency: 10, RequestTimeout: 30 * time.Second, MaxBatch: 10000}
	go func() { m.Serve(context.Background(), c, d, p); close(done) }()
	defer func() { c.Close(); <-done }()
	msg := []byte(batchOf(1000, "echo"))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		c.in <- msg
		if r := <-c.out; len(r) < 1000 {
			b.Fatalf("reply %q", r)
		}
	}
}
