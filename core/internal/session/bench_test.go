package session

import (
	"context"
	"encoding/json"
	"net"
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

// BenchmarkShortSession serves one short session per iteration, as the
// pipeversion attack opens them: connect from a new address, two requests,
// read both replies, EOF. It is the session layer's cost per connection
// (admission, set-up, the requests' workers and writers, close).
func BenchmarkShortSession(b *testing.B) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){"echo": echo}}
	m := NewManager(nil)
	m.adm = Admission{MaxSessions: 1000, PerIP: 100, PerSubnet: 500, RatePerIP: 10, BurstPerIP: 100,
		RatePerSubnet: 1e9, BurstPerSubnet: 1e9, LimitPrivate: true}
	p := Profile{Capped: true, Concurrency: 10, RequestTimeout: 30 * time.Second, HandshakeTimeout: 15 * time.Second,
		SerialUntilProtocol: true, BatchesInFlight: DefaultBatchesInFlight}
	// A polite client stays connected throughout, as on a live server.
	polite := newFakeConn()
	politeDone := make(chan struct{})
	go func() { m.Serve(context.Background(), polite, d, p); close(politeDone) }()
	defer func() { polite.Close(); <-politeDone }()
	req1 := []byte(`{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}`)
	req2 := []byte(`{"jsonrpc":"2.0","id":2,"method":"echo","params":[2]}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c := newFakeConn()
		c.addr = &net.TCPAddr{IP: net.IPv4(127, 1, byte(i>>8), byte(i)), Port: 50001}
		done := make(chan struct{})
		go func() { m.Serve(context.Background(), c, d, p); close(done) }()
		c.in <- req1
		c.in <- req2
		<-c.out
		<-c.out
		close(c.in)
		<-done
	}
}

// BenchmarkRefusedConnection is the cost of a connection that the
// connection rate refuses (the same address, its bucket empty).
func BenchmarkRefusedConnection(b *testing.B) {
	d := &dispatcher{handlers: map[string]func(context.Context, *Session, json.RawMessage) (any, error){"echo": echo}}
	m := NewManager(nil)
	m.adm = Admission{RatePerIP: 1e-9, BurstPerIP: 1, LimitPrivate: true}
	p := Profile{Capped: true, Concurrency: 10, RequestTimeout: 30 * time.Second, HandshakeTimeout: 15 * time.Second}
	addr := &net.TCPAddr{IP: net.IPv4(127, 1, 0, 1), Port: 50001}
	b.ReportAllocs()
	for b.Loop() {
		c := newFakeConn()
		c.addr = addr
		close(c.in)
		m.Serve(context.Background(), c, d, p)
	}
}
