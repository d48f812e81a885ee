package attack

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets this test binary serve as the attack child too.
func TestMain(m *testing.M) {
	MaybeWorker()
	os.Exit(m.Run())
}

// TestChildRunsLow: with Low set, every thread of the attack child runs
// at nice 19 under SCHED_IDLE, while the bench's own threads (and so the
// polite clients) keep their priority; without it the child runs as the
// bench does.
func TestChildRunsLow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	own := priority(os.Getpid())
	for _, low := range []bool{true, false} {
		ch, err := startChild(context.Background(), workerArgs{Attack: "garbage", Addr: ln.Addr().String(), N: 2, Low: low})
		if err != nil {
			t.Fatal(err)
		}
		want := own
		if low {
			want = "nice 19, SCHED_IDLE"
		}
		// The child's runtime starts its threads while it attacks.
		time.Sleep(300 * time.Millisecond)
		ps := threadPriorities(ch.cmd.Process.Pid)
		if len(ps) < 2 {
			t.Errorf("low=%v: child threads %v, want several", low, ps)
		}
		for _, p := range ps {
			if p != want {
				t.Errorf("low=%v: a child thread runs at %q, want %q (all: %v)", low, p, want, ps)
				break
			}
		}
		if got := summarise(ps); !strings.HasSuffix(got, "threads: "+want) {
			t.Errorf("summary %q", got)
		}
		if _, err := ch.stop(); err != nil {
			t.Fatal(err)
		}
		for _, p := range threadPriorities(os.Getpid()) {
			if p != own {
				t.Fatalf("a bench thread runs at %q, want %q", p, own)
			}
		}
	}
}
