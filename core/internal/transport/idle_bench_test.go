package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"testing"

	"github.com/amber-electrum/amber/core/internal/session"
)

// okDispatcher opens handlers that answer every request with "ok".
type okDispatcher struct{}

func (okDispatcher) NewHandler(*session.Session) session.Handler { return okDispatcher{} }
func (okDispatcher) Notified(string)                             {}
func (okDispatcher) Closed()                                     {}
func (okDispatcher) Info() session.Info                          { return session.Info{} }
func (okDispatcher) Handle(context.Context, string, json.RawMessage) (any, error) {
	return "ok", nil
}

// BenchmarkIdleSessionHeap measures what an idle session costs amberd: n
// sessions over net.Pipe (a stream connection and session.Manager.Serve,
// as amberd runs them), each answered one request and then left idle,
// blocked in a read. It reports the heap and goroutine stack growth per
// session after a GC (net.Pipe's own state included, the kernel's socket
// buffers of a real TCP connection not). Run with -benchtime=1x.
func BenchmarkIdleSessionHeap(b *testing.B) {
	const n = 2000
	var heap, stack float64
	for b.Loop() {
		heap, stack = idleSessionBytes(b, n)
	}
	b.ReportMetric(heap, "heap-bytes/session")
	b.ReportMetric(stack, "stack-bytes/session")
	b.ReportMetric(heap+stack, "bytes/session")
}

func idleSessionBytes(b *testing.B, n int) (heap, stack float64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := session.NewManager(slog.New(slog.NewTextHandler(io.Discard, nil)))
	opts := Options{}.withDefaults()
	clients := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		_ = m.Shutdown(ctx)
	}()
	req := []byte(`{"jsonrpc":"2.0","id":1,"method":"server.ping"}` + "\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		client, server := net.Pipe()
		clients = append(clients, client)
		go m.Serve(ctx, newStreamConn(server, "TCP", opts), okDispatcher{}, session.Profile{})
		if _, err := client.Write(req); err != nil {
			b.Fatal(err)
		}
		// bufio here is freed before the measurement: only the server
		// side stays.
		line, err := bufio.NewReaderSize(client, 256).ReadSlice('\n')
		if err != nil || !bytes.Contains(line, []byte(`"ok"`)) {
			b.Fatalf("reply %q, %v", line, err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if m.Count() != n {
		b.Fatalf("%d sessions live, want %d", m.Count(), n)
	}
	heap = float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(n)
	stack = float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
	return heap, stack
}

// BenchmarkLineReader reads a stream of wallet-sized requests arriving in
// reads of the given size: small reads stay in the small buffer, large
// ones (a pipelining client) move to a pooled large buffer.
func BenchmarkLineReader(b *testing.B) {
	line := []byte(`{"jsonrpc":"2.0","id":12,"method":"blockchain.scripthash.get_history","params":["ec0d64c1ac3008bd52e07ab3607156643f56f5898a639994077660151b1f1b30"]}` + "\n")
	stream := bytes.Repeat(line, 512)
	for _, chunk := range []int{len(line), 4 << 10, 64 << 10} {
		b.Run("read="+strconv.Itoa(chunk), func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				var chunks [][]byte
				for rest := stream; len(rest) > 0; {
					n := min(chunk, len(rest))
					chunks = append(chunks, rest[:n])
					rest = rest[n:]
				}
				lr := newLineReader(&chunkReader{chunks: chunks}, DefaultMaxRecv, func() {})
				for {
					if _, err := lr.next(); err != nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkLongLine reads a 270 kB line (a 9,000-item batch, as the
// abandon attack sends) in 8 kB reads: the line is assembled across
// buffer fills.
func BenchmarkLongLine(b *testing.B) {
	item := []byte(`{"jsonrpc":"2.0","id":1234,"method":"blockchain.block.header","params":[56]},`)
	line := append(bytes.Repeat(item, 270<<10/len(item)), '\n')
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var chunks [][]byte
		for rest := line; len(rest) > 0; {
			n := min(8<<10, len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		lr := newLineReader(&chunkReader{chunks: chunks}, DefaultMaxRecv, func() {})
		if msg, err := lr.next(); err != nil || len(msg) != len(line)-1 {
			b.Fatal(len(msg), err)
		}
	}
}
