package transport

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestFirstReadDeadlineBoundsTLSHandshake (issue 11.5): a TLS client that
// never completes its handshake is bounded by the first read's deadline
// (the session's handshake_timeout), since the handshake runs inside that
// read.
func TestFirstReadDeadlineBoundsTLSHandshake(t *testing.T) {
	srvCfg, _ := selfSigned(t)
	ln := listen(t, "ssl", Options{TLSConfig: srvCfg})
	accepted := acceptAsync(t, ln)
	raw, err := net.Dial("tcp", ln.Addr().String()) // no ClientHello, ever
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	if _, err := sc.ReadMessage(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled handshake: %v, want the deadline", err)
	}
}

// TestDeadlineReadDoesNotTakeTheLastingWatch: after a first read under a
// deadline context, the session's own context (cancellable, no deadline)
// still gets the lasting watch, so cancelling it ends a blocked read.
func TestDeadlineReadDoesNotTakeTheLastingWatch(t *testing.T) {
	ln := listen(t, "tcp", Options{})
	accepted := acceptAsync(t, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sc := (<-accepted).(*streamConn)
	defer sc.Close()
	first, cancelFirst := context.WithTimeout(testCtx(t), time.Minute)
	cl.Write([]byte("{}\n"))
	if _, err := sc.ReadMessage(first); err != nil {
		t.Fatal(err)
	}
	cancelFirst()
	sess, cancel := context.WithCancel(context.Background()) // no deadline, as a session's
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, err := sc.ReadMessage(sess); errc <- err }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		sc.watchMu.Lock()
		w := sc.watched
		sc.watchMu.Unlock()
		if w == sess {
			break
		}
		if w != nil {
			t.Fatalf("watched %v, want the session context", w)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
}
