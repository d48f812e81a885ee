package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestOneRequestCannotLockOutStrangers (issue 11.1): with the default cost
// limits, attackers each send blockchain.block.headers [0, 99999999999]
// (86 bytes, priced 2e9 before the fix) and leave. The request is charged
// for the headers served (at most 2,016, so at most about 40), not for the
// count asked, so the attacker is not even throttled; whatever it costs, a session leaves at
// most the hard limit in its time slice (cost.TestStrangerBound covers the
// worst case), and a stranger connecting in the same slice afterwards is
// neither refused nor throttled: its extra cost stays at most its own.
func TestOneRequestCannotLockOutStrangers(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 71, regtest.Spec{Blocks: 102, TxPerBlock: 1, Scripts: 2})
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"COST_SOFT_LIMIT": "1000", "COST_HARD_LIMIT": "10000"}})
	const attackers, hard = 3, 10000.0
	for i := range attackers {
		c := harness.Dial(t, a.TCPAddr())
		if _, rerr := c.Call(timeout(t, 10*time.Second), "server.version", "attacker", "1.4"); rerr != nil {
			t.Fatalf("attacker %d version: %v", i, rerr)
		}
		var res struct{ Count int }
		raw, rerr := c.Call(timeout(t, 30*time.Second), "blockchain.block.headers", 0, int64(99999999999))
		if rerr != nil {
			t.Fatalf("attacker %d headers: %v", i, rerr)
		}
		if err := json.Unmarshal(raw, &res); err != nil || res.Count == 0 || res.Count > 2016 {
			t.Fatalf("attacker %d headers result %s: %v", i, raw, err)
		}
		// Charged for what was served: far below the soft limit, the
		// attacker's next request is answered at once.
		if _, rerr = c.Call(timeout(t, 10*time.Second), "server.ping"); rerr != nil {
			t.Fatalf("attacker %d: after the huge request got %v, want an answer", i, rerr)
		}
		c.Close()
	}
	// The slice group keeps at most the hard limit per attacker.
	out, code := a.Ctl("--json", "groups")
	if code != 0 {
		t.Fatalf("amberctl groups exit %d", code)
	}
	var groups [][]any
	if err := json.Unmarshal([]byte(out), &groups); err != nil {
		t.Fatalf("groups %q: %v", out, err)
	}
	for _, g := range groups {
		if retained, _ := g[3].(float64); retained > attackers*hard+100 {
			t.Errorf("group %v retains %v, more than %v per attacker", g[0], retained, hard)
		}
	}
	// A stranger in the same slice: every request answered.
	s := harness.Dial(t, a.TCPAddr())
	if _, rerr := s.Call(timeout(t, 10*time.Second), "server.version", "stranger", "1.4"); rerr != nil {
		t.Fatalf("stranger refused: %v", rerr)
	}
	for i := range 20 {
		if _, rerr := s.Call(timeout(t, 10*time.Second), "blockchain.block.header", i); rerr != nil {
			t.Fatalf("stranger request %d: %v", i, rerr)
		}
	}
	out, code = a.Ctl("--json", "sessions")
	if code != 0 {
		t.Fatalf("amberctl sessions exit %d", code)
	}
	var rows [][]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("sessions %q: %v", out, err)
	}
	found := false
	for _, r := range rows {
		if client, _ := r[3].(string); !strings.HasPrefix(client, "stranger") {
			continue
		}
		found = true
		cost, _ := r[5].(float64)
		xcost, _ := r[6].(float64)
		t.Logf("stranger: cost %.1f, extra cost %.1f", cost, xcost)
		if xcost > cost || cost+xcost >= 1000 {
			t.Errorf("stranger cost %v extra %v: want extra ≤ own and the total below the soft limit", cost, xcost)
		}
		// Flags: kind letter, then the concurrency target (10 = unthrottled).
		if flags, _ := r[1].(string); strings.TrimLeft(flags, "TSWRCL") != "10" {
			t.Errorf("stranger throttled: flags %q, want target 10", flags)
		}
	}
	if !found {
		t.Errorf("no stranger session in %s", out)
	}
}
