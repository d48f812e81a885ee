package attack

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"testing"
)

// TestWorker: the child's side of the attack process runs the named
// shape until its stop input ends and reports the Outcome as JSON.
func TestWorker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		n := 0
		for n < 1<<20 { // a megabyte of garbage, then stop the attack
			k, err := c.Read(buf)
			if err != nil {
				break
			}
			n += k
		}
		close(got)
	}()
	spec, _ := json.Marshal(workerArgs{Attack: "garbage", Addr: ln.Addr().String(), N: 1})
	stopR, stopW := io.Pipe()
	go func() { <-got; stopW.Close() }()
	var out bytes.Buffer
	if err := worker(string(spec), stopR, &out); err != nil {
		t.Fatal(err)
	}
	var o Outcome
	if err := json.Unmarshal(out.Bytes(), &o); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if o.Connections != 1 || o.SentBytes < 1<<20 {
		t.Errorf("%d connections, %d bytes sent; want 1 connection and at least 1 MB", o.Connections, o.SentBytes)
	}
	if err := worker(`{"attack":"nope"}`, stopR, &out); err == nil {
		t.Error("unknown attack accepted")
	}
}
