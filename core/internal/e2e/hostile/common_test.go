package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/btcsuite/btcd/chaincfg"
)

// rig is one amberd under attack.
type rig struct {
	t *testing.T
	a *harness.Amberd
}

// start runs a regtest node with a short chain and amberd with the
// hardening applied to loopback addresses, plus env.
func start(t *testing.T, env map[string]string) *rig {
	t.Helper()
	node := harness.StartNode(t, regtest.NodeOptions{})
	w := regtest.NewWallet(11, &chaincfg.RegressionNetParams)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := regtest.Generate(ctx, node, w, regtest.Spec{Seed: 11, Blocks: 120, TxPerBlock: 1, Scripts: 4}); err != nil {
		t.Fatalf("generate chain: %v", err)
	}
	base := map[string]string{
		"AMBER_SESSION_LIMITS_PRIVATE":  "true",
		"AMBER_MAX_SESSIONS_PER_IP":     "20",
		"AMBER_MAX_SESSIONS_PER_SUBNET": "60",
		// The default cost limits (the harness turns them off).
		"COST_SOFT_LIMIT": "1000", "COST_HARD_LIMIT": "10000",
	}
	for k, v := range env {
		base[k] = v
	}
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true, Env: base})
	return &rig{t: t, a: a}
}

// status reads a field (kB) of amberd's /proc status.
func (r *rig) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.a.PID()))
	if err != nil {
		r.t.Fatalf("read amberd status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n * 1024
		}
	}
	r.t.Fatalf("no %s in amberd status", field)
	return 0
}

// resetPeak resets amberd's peak RSS (VmHWM) to its current RSS.
func (r *rig) resetPeak() {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", r.a.PID()), []byte("5"), 0); err != nil {
		r.t.Fatalf("reset peak RSS: %v", err)
	}
}

func (r *rig) peakRSS() int64 { return r.status("VmHWM") }

// sessions returns amberd's session count from the admin getinfo (the
// admin connection itself included).
func (r *rig) sessions() int {
	out, code := r.a.Ctl("getinfo")
	if code != 0 {
		r.t.Fatalf("amberctl getinfo exited %d", code)
	}
	var info struct {
		Sessions struct {
			Count int `json:"count"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		r.t.Fatalf("getinfo: %v: %.200s", err, out)
	}
	return info.Sessions.Count
}

// group is one of amberd's cost groups (amberctl groups).
type group struct {
	sessions       int
	cost, retained float64
}

// groups returns amberd's cost groups by name.
func (r *rig) groups() map[string]group {
	out, code := r.a.Ctl("--json", "groups")
	if code != 0 {
		r.t.Fatalf("amberctl groups exited %d", code)
	}
	var rows [][]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		r.t.Fatalf("groups: %v: %.200s", err, out)
	}
	gs := map[string]group{}
	for _, row := range rows {
		if len(row) < 4 {
			r.t.Fatalf("groups row %v", row)
		}
		name, _ := row[0].(string)
		n, _ := row[1].(float64)
		c, _ := row[2].(float64)
		ret, _ := row[3].(float64)
		gs[name] = group{sessions: int(n), cost: c, retained: ret}
	}
	return gs
}

// politeNet is the /24 of the polite client (127.0.0.1); the attackers
// connect from other /24s of 127/8.
const politeNet = "127.0.0.0/24"

// checkGroupsApart checks that amberd put the attackers' /24s in cost
// groups of their own (session_limits_private gives loopback addresses
// subnet groups) and that the polite client's /24 was charged only for
// its own requests: its cost, live and retained, stays under the soft
// limit (1,000), so it was never throttled for the attackers.
func (r *rig) checkGroupsApart(attackNets ...string) map[string]group {
	r.t.Helper()
	gs := r.groups()
	for _, n := range attackNets {
		if _, ok := gs[n]; !ok {
			r.t.Errorf("no cost group %s for the attackers; groups %v", n, gs)
		}
	}
	p, ok := gs[politeNet]
	if !ok {
		r.t.Errorf("no cost group %s for the polite client; groups %v", politeNet, gs)
	}
	if p.cost+p.retained >= 1000 {
		r.t.Errorf("polite group %s holds cost %.0f + retained %.0f, want under the soft limit", politeNet, p.cost, p.retained)
	}
	return gs
}

// dialFrom opens a raw TCP connection to amberd from a loopback source
// address.
func (r *rig) dialFrom(ctx context.Context, src string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return d.DialContext(ctx, "tcp", r.a.TCPAddr())
}

// polite is a well-behaved wallet's request mix, timed call by call over
// one connection: the latencies and the errors.
type polite struct {
	lat  []time.Duration
	errs []error
}

func (p *polite) quantile(q float64) time.Duration {
	if len(p.lat) == 0 {
		return 0
	}
	s := slices.Clone(p.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// runPolite connects a new client from 127.0.0.1 (the connection itself
// must be admitted) and makes n calls.
func (r *rig) runPolite(ctx context.Context, n int) *polite {
	p := &polite{}
	c, err := harness.DialContext(ctx, r.a.TCPAddr())
	if err != nil {
		p.errs = append(p.errs, err)
		return p
	}
	defer c.Close()
	if _, err := c.Negotiate(ctx, "polite", "1.4"); err != nil {
		p.errs = append(p.errs, fmt.Errorf("server.version: %w", err))
		return p
	}
	for i := range n {
		t0 := time.Now()
		var err error
		switch i % 3 {
		case 0:
			_, rerr := c.Call(ctx, "blockchain.block.header", i%100)
			if rerr != nil {
				err = rerr
			}
		case 1:
			_, rerr := c.Call(ctx, "server.ping")
			if rerr != nil {
				err = rerr
			}
		default:
			_, rerr := c.Call(ctx, "blockchain.headers.subscribe")
			if rerr != nil {
				err = rerr
			}
		}
		p.lat = append(p.lat, time.Since(t0))
		if err != nil {
			p.errs = append(p.errs, err)
		}
	}
	return p
}

// attackBound is what the polite client must see under attack against its
// quiet baseline. The machine running the suite is shared (2 cores for
// several jobs), so the ratio is taken on the median with room for noise
// and the 99th percentile is logged; zero errors is exact.
const medianRatioBound = 5.0

// checkPolite compares a polite run under attack with the baseline.
func checkPolite(t *testing.T, base, under *polite) {
	t.Helper()
	for _, err := range under.errs {
		t.Errorf("polite client error under attack: %v", err)
	}
	b50, u50 := base.quantile(0.5), under.quantile(0.5)
	ratio := float64(u50) / float64(max(b50, time.Microsecond))
	t.Logf("polite p50 %v (baseline %v, ratio %.2f), p99 %v (baseline %v)", u50, b50, ratio,
		under.quantile(0.99), base.quantile(0.99))
	if ratio > medianRatioBound {
		t.Errorf("polite median latency %.1f× the quiet baseline, bound %.0f×", ratio, medianRatioBound)
	}
}

// attackers runs fn on n goroutines until it returns, and waits.
func attackers(n int, fn func(i int)) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	return &wg
}

// readLines reads lines from conn until it ends, returning how many.
func readLines(conn net.Conn) int {
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	return n
}

// pings is a batch of n server.ping requests.
func pings(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":"server.ping","params":[]}`, i)
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

const mb = 1 << 20

// hello sends server.version without waiting for its answer: amberd
// refuses anything before it (issue 12.2) and, until the version is
// negotiated, runs a session's requests in order (issue 12.1), so an
// attacker may pipeline its attack right behind it.
func hello(t *testing.T, conn net.Conn) bool {
	t.Helper()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(`{"jsonrpc":"2.0","id":"v","method":"server.version","params":["attacker","1.4"]}` + "\n")); err != nil {
		t.Errorf("attacker server.version: %v", err)
		return false
	}
	return true
}
