package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestListenRejects(t *testing.T) {
	ctx := context.Background()
	if _, err := Listen(ctx, Service{Proto: "udp", Host: "127.0.0.1"}, Options{}); err == nil {
		t.Error("unknown proto accepted")
	}
	for _, p := range []string{"ssl", "wss"} {
		if _, err := Listen(ctx, Service{Proto: p, Host: "127.0.0.1"}, Options{}); err == nil {
			t.Errorf("%s without TLS config accepted", p)
		}
	}
	if _, err := LoadTLS("/nonexistent/cert.pem", "/nonexistent/key.pem"); err == nil {
		t.Error("LoadTLS of missing files succeeded")
	}
}

// TestTCPFraming sends chunked streams over a real loopback socket.
func TestTCPFraming(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name      string
		writes    []string
		want      []string
		oversized uint64
	}{
		{"split writes", []string{`{"id":`, `1}`, "\n"}, []string{`{"id":1}`}, 0},
		{"many per packet", []string{"a\nb\nc\n"}, []string{"a", "b", "c"}, 0},
		{"oversize then good", []string{long + "\n", "good\n"}, []string{"good"}, 1},
		{"oversize in pieces", []string{long[:90], long[90:], "\nok\n"}, []string{"ok"}, 1},
		{"crlf and empty lines", []string{"a\r\n\r\n\n", "b\r\n"}, []string{"a", "b"}, 0},
	}
	ln := listen(t, "tcp", Options{MaxRecv: 100})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			accepted := acceptAsync(t, ln)
			cl, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			sc := <-accepted
			if sc == nil {
				t.FailNow()
			}
			defer sc.Close()
			if sc.Kind() != "TCP" || sc.RemoteAddr().String() != cl.LocalAddr().String() {
				t.Errorf("kind %s remote %v", sc.Kind(), sc.RemoteAddr())
			}
			total := 0
			for _, w := range tt.writes {
				total += len(w)
				if _, err := cl.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			cl.(*net.TCPConn).CloseWrite()
			var got []string
			for {
				msg, err := sc.ReadMessage(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(msg))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			st := sc.Stats()
			if st.Oversized != tt.oversized || st.MessagesIn != uint64(len(tt.want)) || st.BytesIn != uint64(total) {
				t.Errorf("stats %+v (sent %d bytes)", st, total)
			}
		})
	}
}

func roundTrip(t *testing.T, ctx context.Context, sc Conn, cl net.Conn) {
	t.Helper()
	werr := make(chan error, 1)
	go func() { // concurrent: a TLS client write waits for the server's handshake
		_, err := cl.Write([]byte("{\"method\":\"server.ping\"}\n"))
		werr <- err
	}()
	msg, err := sc.ReadMessage(ctx)
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if err != nil || string(msg) != `{"method":"server.ping"}` {
		t.Fatalf("read %q %v", msg, err)
	}
	if err := sc.WriteMessage(ctx, []byte(`{"result":null}`)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(cl).ReadString('\n')
	if err != nil || line != "{\"result\":null}\n" {
		t.Fatalf("client read %q %v", line, err)
	}
}

func TestTLSRoundTrip(t *testing.T) {
	srvCfg, cliCfg := selfSigned(t)
	ln := listen(t, "ssl", Options{TLSConfig: srvCfg})
	ctx := testCtx(t)
	accepted := acceptAsync(t, ln)
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// The handshake completes during the first write/read pair below (the
	// server handshakes lazily on its first ReadMessage).
	cl := tls.Client(raw, cliCfg)
	defer cl.Close()
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	if sc.Kind() != "SSL" {
		t.Errorf("kind %s", sc.Kind())
	}
	roundTrip(t, ctx, sc, cl)
	if st := sc.Stats(); st.MessagesIn != 1 || st.MessagesOut != 1 || st.BytesOut != uint64(len("{\"result\":null}\n")) {
		t.Errorf("stats %+v", st)
	}
	cl.Close()
	if _, err := sc.ReadMessage(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("after client close: %v, want EOF", err)
	}
}

func TestListenerCloseKeepsConns(t *testing.T) {
	ctx := testCtx(t)
	ln := listen(t, "rpc", Options{})
	accepted := acceptAsync(t, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	if sc.Kind() != "RPC" {
		t.Errorf("kind %s", sc.Kind())
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("dial succeeded after listener close")
	}
	roundTrip(t, ctx, sc, cl)
}

func TestReadCancelResumes(t *testing.T) {
	ln := listen(t, "tcp", Options{})
	accepted := acceptAsync(t, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	// Half a message, then a cancelled read.
	if _, err := cl.Write([]byte(`{"half":`)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := sc.ReadMessage(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
	// An expired deadline is reported as such.
	dctx, dcancel := context.WithDeadline(context.Background(), time.Unix(2, 0))
	defer dcancel()
	if _, err := sc.ReadMessage(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired read: %v", err)
	}
	if _, err := cl.Write([]byte("1}\n")); err != nil {
		t.Fatal(err)
	}
	msg, err := sc.ReadMessage(testCtx(t))
	if err != nil || string(msg) != `{"half":1}` {
		t.Fatalf("resumed read %q %v", msg, err)
	}
}

func TestStuckWriterFails(t *testing.T) {
	ln := listen(t, "tcp", Options{WriteTimeout: 100 * time.Millisecond})
	accepted := acceptAsync(t, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close() // never read from: the server's writes back up
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	big := bytes.Repeat([]byte("z"), 1<<20)
	var werr error
	for i := 0; i < 1000 && werr == nil; i++ {
		werr = sc.WriteMessage(context.Background(), big)
	}
	if !errors.Is(werr, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a stuck peer: %v", werr)
	}
}

func BenchmarkTCPMessages(b *testing.B) {
	ln := listen(b, "tcp", Options{})
	accepted := acceptAsync(b, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	sc := <-accepted
	defer sc.Close()
	line := []byte(`{"jsonrpc":"2.0","method":"blockchain.scripthash.get_history","id":42,"params":["5b977c73e66bf91562beb8b84d89a4e12130e7ab1bfe4b02f342d5deb9c7d282"]}` + "\n")
	go func() {
		w := bufio.NewWriter(cl)
		for i := 0; i < b.N; i++ {
			w.Write(line)
		}
		w.Flush()
	}()
	ctx := context.Background()
	b.SetBytes(int64(len(line)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := sc.ReadMessage(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
