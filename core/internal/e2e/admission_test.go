package e2e

import (
	"net"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestMaxSessionsPausesAndResumes: at MAX_SESSIONS amberd closes its client
// listeners (existing sessions keep working) and reopens them once the count
// falls to 95 % of the maximum (sessions-and-costs.md §6).
func TestMaxSessionsPausesAndResumes(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 53, regtest.Spec{Blocks: 102, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)
	const max = 4 // resume at floor(4*19/20) = 3 sessions
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"MAX_SESSIONS": "4"}})

	var clients []*harness.Client
	for i := 0; i < max; i++ {
		c := harness.Dial(t, a.TCPAddr())
		if _, rerr := c.Call(timeout(t, 10*time.Second), "server.ping"); rerr != nil {
			t.Fatalf("session %d: %v", i, rerr)
		}
		clients = append(clients, c)
	}
	// The listener closes once the fourth session is registered.
	waitDial(t, a.TCPAddr(), false)
	for i, c := range clients {
		if _, rerr := c.Call(timeout(t, 10*time.Second), "server.ping"); rerr != nil {
			t.Fatalf("existing session %d stopped working while paused: %v", i, rerr)
		}
	}
	clients[0].Close()
	// Back to 3 sessions: the listener reopens and a new client gets in.
	// (A probe connection would itself count as a session, so the new
	// client is the probe.)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := harness.DialContext(timeout(t, 5*time.Second), a.TCPAddr())
		if err == nil {
			defer c.Close()
			waitCaughtUp(t, c, m)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener did not reopen below the low-water mark: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitDial polls until dialing addr succeeds (open) or is refused (!open).
// A successful probe is a session of its own for a moment.
func waitDial(t *testing.T, addr string, open bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if conn != nil {
			conn.Close()
		}
		if (err == nil) == open {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener on %s never became open=%v (last dial error: %v)", addr, open, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
