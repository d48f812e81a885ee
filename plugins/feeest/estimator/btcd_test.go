package estimator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/testenv"
)

// startBtcd starts btcd in regtest on 127.0.0.1 and returns its RPC
// address; it skips when btcd is not installed and CI is unset.
func startBtcd(t *testing.T) string {
	t.Helper()
	bin := testenv.RequireBtcd(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--configfile="+conf, "--regtest", "--datadir="+dir, "--logdir="+filepath.Join(dir, "logs"),
		"--nolisten", "--nodnsseed", "--noonion", "--rpclisten="+addr, "--notls", "--rpcuser=u", "--rpcpass=p")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return addr
}

// btcdCall asks btcd directly, for the test's own expectations.
func btcdCall(t *testing.T, addr, method string, params ...any) (json.RawMessage, *struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, "http://"+addr, bytes.NewReader(body))
	req.SetBasicAuth("u", "p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return r.Result, r.Error
}

// TestBtcdDaemonSource runs the daemon source against a real btcd, which
// has estimatefee but not estimatesmartfee: auto picks the mempool, and
// source daemon answers what btcd's estimatefee says (-1 while its
// estimator is not ready), with getinfo's relay fee.
func TestBtcdDaemonSource(t *testing.T) {
	addr := startBtcd(t)
	url := "u:p@" + addr

	auto := New(nil)
	ca := wired(t, auto, fmt.Sprintf(`{"daemon_url":%q,"network":"regtest"}`, url))
	if auto.Source() != SourceMempool {
		t.Errorf("auto with btcd: source %q, want mempool (btcd lacks estimatesmartfee)", auto.Source())
	}

	p := New(nil)
	c := wired(t, p, fmt.Sprintf(`{"source":"daemon","daemon_url":%q,"network":"regtest"}`, url))
	if p.Source() != SourceDaemon {
		t.Fatalf("source %q", p.Source())
	}

	res, rpcErr := btcdCall(t, addr, "getinfo")
	if rpcErr != nil {
		t.Fatalf("getinfo: %+v", rpcErr)
	}
	var info struct {
		RelayFee float64 `json:"relayfee"`
	}
	if err := json.Unmarshal(res, &info); err != nil || info.RelayFee <= 0 {
		t.Fatalf("getinfo %s: %v", res, err)
	}
	wantRelay := strconv.FormatFloat(info.RelayFee, 'f', -1, 64)
	if got, err := call(t, c, MethodRelayFee, `[]`); err != nil || got != wantRelay {
		t.Errorf("daemon relayfee = %s, %v; want getinfo's %s", got, err, wantRelay)
	}
	if got, err := call(t, ca, MethodRelayFee, `[]`); err != nil || got != wantRelay {
		t.Errorf("auto relayfee = %s, %v; want getinfo's %s", got, err, wantRelay)
	}

	for _, target := range []int{2, 6} {
		want := "-1"
		res, rpcErr := btcdCall(t, addr, "estimatefee", target)
		var rate float64
		if rpcErr == nil && json.Unmarshal(res, &rate) == nil && rate > 0 {
			want = strconv.FormatFloat(rate, 'f', -1, 64)
		}
		t.Logf("btcd estimatefee %d: %s %+v -> want %s", target, res, rpcErr, want)
		if got, err := call(t, c, MethodEstimateFee, fmt.Sprintf(`[%d]`, target)); err != nil || got != want {
			t.Errorf("estimatefee(%d) = %s, %v; btcd's estimatefee says %s / %+v, want %s", target, got, err, res, rpcErr, want)
		}
	}
}
