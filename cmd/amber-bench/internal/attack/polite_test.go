package attack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestPoliteClientsOwnSubnets: every polite client connects from its own
// loopback /24, none of them the attackers' (127.1.x.y spread, 127.0.1.1
// with -same-address), so that amberd's subnet cost groups and caps
// (session_limits_private) never put two of them, or one of them and an
// attacker, together.
func TestPoliteClientsOwnSubnets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	seen := map[netip.Prefix]int{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ap := netip.MustParseAddrPort(c.RemoteAddr().String())
			mu.Lock()
			seen[netip.PrefixFrom(ap.Addr().Unmap(), 24).Masked()]++
			mu.Unlock()
			go answer(c)
		}
	}()
	const n = 12
	p := politeRun(context.Background(), Options{Addr: ln.Addr().String(), Duration: 2 * time.Second, Polite: n, Pace: 50 * time.Millisecond})
	if p.Errors != 0 || p.Requests == 0 {
		t.Errorf("polite run: %d requests, %d errors (%v)", p.Requests, p.Errors, p.Failures)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Errorf("%d polite clients came from %d /24s: %v", n, len(seen), seen)
	}
	for pfx, k := range seen {
		if k != 1 {
			t.Errorf("%s: %d polite clients", pfx, k)
		}
		// The attackers' networks (attacker.dial) and 127.0.0.0/24.
		for _, an := range []string{"127.1.0.0/16", "127.0.1.0/24", "127.0.0.0/24"} {
			if netip.MustParsePrefix(an).Overlaps(pfx) {
				t.Errorf("polite /24 %s is in %s", pfx, an)
			}
		}
	}
}

// answer replies null to every request on c.
func answer(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		var r struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			return
		}
		if _, err := fmt.Fprintf(c, `{"jsonrpc":"2.0","id":%s,"result":null}`+"\n", r.ID); err != nil {
			return
		}
	}
}
