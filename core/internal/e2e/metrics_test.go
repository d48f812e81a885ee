package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestMetricsEndpoint scrapes a real amberd's Prometheus endpoint and checks
// values the test knows independently: the number of requests it made, the
// index and daemon heights, the plugin's state and the session count.
func TestMetricsEndpoint(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 47, regtest.Spec{Blocks: 105, TxPerBlock: 2, Scripts: 4})
	m := buildModel(t, node)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_METRICS_LISTEN": addr}})
	c := harness.Dial(t, a.TCPAddr())
	waitCaughtUp(t, c, m)
	const pings = 7
	for i := 0; i < pings; i++ {
		if _, rerr := c.Call(timeout(t, 10*time.Second), "server.ping"); rerr != nil {
			t.Fatal(rerr)
		}
	}
	if _, rerr := c.Call(timeout(t, 10*time.Second), "blockchain.block.header", 1_000_000); rerr == nil {
		t.Fatal("header far above the tip should fail")
	}

	// Observations are recorded after the reply is queued: poll until the
	// counters show up (a hang guard, not a timing assertion).
	var got map[string]float64
	for deadline := time.Now().Add(30 * time.Second); ; {
		got = scrape(t, "http://"+addr+"/metrics")
		if got[`amber_requests_total{kind="TCP",method="server.ping"}`] == pings || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, want := range map[string]float64{
		`amber_requests_total{kind="TCP",method="server.ping"}`:                            pings,
		`amber_request_errors_total{code="1",kind="TCP",method="blockchain.block.header"}`: 1,
		`amber_index_height`:                             float64(m.Tip()),
		`amber_daemon_height`:                            float64(m.Tip()),
		`amber_plugin_up{plugin="bitcoind"}`:             1,
		`amber_sessions{kind="TCP"}`:                     1,
		`amber_plugin_restarts_total{plugin="bitcoind"}`: 0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if got["amber_received_bytes_total"] <= 0 || got["amber_sent_bytes_total"] <= 0 {
		t.Errorf("byte counters: in %v out %v", got["amber_received_bytes_total"], got["amber_sent_bytes_total"])
	}
}

// scrape fetches a Prometheus text exposition and returns sample values by
// their full name with labels.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %s\n%s", url, resp.Status, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatal(fmt.Errorf("metrics line %q: %w", line, err))
		}
		out[line[:i]] = v
	}
	return out
}
