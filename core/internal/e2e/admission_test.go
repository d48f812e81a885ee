package e2e

import (
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestMaxSessionsShedsIdle: at MAX_SESSIONS a new client is admitted in
// place of the oldest idle session of the most-connected group (issue
// 11.5; amberd used to pause its listeners and refuse everyone); the other
// sessions keep working.
func TestMaxSessionsShedsIdle(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 53, regtest.Spec{Blocks: 102, TxPerBlock: 1, Scripts: 2})
	m := buildModel(t, node)
	const max = 4
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
	// A fifth client gets in and is served; the oldest idle session (the
	// first one, least recently heard from) is closed.
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	select {
	case <-clients[0].Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the oldest idle session was not closed at max_sessions")
	}
	for i, c := range clients[1:] {
		if _, rerr := c.Call(timeout(t, 10*time.Second), "server.ping"); rerr != nil {
			t.Fatalf("session %d stopped working: %v", i+1, rerr)
		}
	}
}
