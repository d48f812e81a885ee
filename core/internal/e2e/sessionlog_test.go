package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestLogSessions: with LOG_SESSIONS set amberd logs every session and a
// summary periodically; ANON_LOGS hides the client addresses there.
func TestLogSessions(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 73, regtest.Spec{Blocks: 101, TxPerBlock: 1, Scripts: 2})
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"LOG_SESSIONS": "1", "ANON_LOGS": "1"}})
	c := harness.Dial(t, a.TCPAddr())
	if _, rerr := c.Call(timeout(t, 10*time.Second), "server.version", "logtest", "1.4"); rerr != nil {
		t.Fatal(rerr)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var sessionLine string
		summary := false
		for _, line := range strings.Split(a.Logs(), "\n") {
			if strings.Contains(line, "msg=session ") && strings.Contains(line, "client=logtest") {
				sessionLine = line
			}
			summary = summary || strings.Contains(line, `msg="sessions summary"`)
		}
		if sessionLine != "" && summary {
			if !strings.Contains(sessionLine, "peer=xx.xx.xx.xx:xx") || strings.Contains(sessionLine, "127.0.0.1") {
				t.Errorf("ANON_LOGS should hide the address: %s", sessionLine)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no periodic session log after 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
