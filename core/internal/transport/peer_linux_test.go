//go:build linux

package transport

import (
	"net"
	"testing"
	"time"
)

// TestPeerClosed: a stream connection tells that its peer has closed
// without reading, although the data sent before the close is still
// unread; padding forwards it.
func TestPeerClosed(t *testing.T) {
	ln := listen(t, "tcp", Options{})
	accepted := acceptAsync(t, ln)
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sc := Pad(<-accepted, PadOptions{})
	defer sc.Close()
	pc, ok := sc.(interface{ PeerClosed() bool })
	if !ok {
		t.Fatal("padded conn has no PeerClosed")
	}
	if _, err := cl.Write([]byte("unread\n")); err != nil {
		t.Fatal(err)
	}
	if pc.PeerClosed() {
		t.Fatal("peer closed before it did")
	}
	cl.Close()
	// The FIN crosses loopback asynchronously: poll (a hang guard).
	for deadline := time.Now().Add(5 * time.Second); !pc.PeerClosed(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("closed peer not seen")
		}
	}
	if msg, err := sc.ReadMessage(testCtx(t)); err != nil || string(msg) != "unread" {
		t.Errorf("data before the close: %q, %v", msg, err)
	}
}
