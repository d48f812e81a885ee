package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

// devnetBins returns a directory with amberd, amberctl, amber-bitcoind and
// hello-method: $AMBER_BIN (make test), or fresh builds.
func devnetBins(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("AMBER_BIN"); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct{ wd, out, pkg string }{
		{root, dir + "/", "./cmd/amberd"}, {root, dir + "/", "./cmd/amberctl"},
		{root, dir + "/amber-bitcoind", "./plugins/bitcoind"},
		{filepath.Join(root, "examples/hello-method"), dir + "/hello-method", "."},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Dir = b.wd
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return dir
}

// readyLine finds "  <label> <host:port>" in the ready output.
func readyAddr(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(label) + ` +(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in the ready output:\n%s", label, out)
	}
	return m[1]
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	if err != nil || n == 0 {
		t.Fatalf("bad address %q", addr)
	}
	return n
}

// TestDevnetOwnPortsBesideAnotherBtcd runs the devnet with the example
// plugin while another btcd (same user and password as the config's
// daemon_url, with blocks of its own) holds the config's btcd port and
// another process holds its TCP service port. The devnet must move both to
// free ports, keep the free ones of the config (ws, rpc), mine on its own
// node only, and print addresses, script hashes and an example call of each
// plugin method that work as printed.
func TestDevnetOwnPortsBesideAnotherBtcd(t *testing.T) {
	testenv.RequireBtcd(t)
	bin := devnetBins(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	foreign, err := regtest.StartNode(ctx, regtest.NodeOptions{User: "amber", Pass: "amber"})
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Stop()
	if _, err := foreign.Generate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := held.Addr().(*net.TCPAddr).Port
	ports, err := regtest.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	wsPort, rpcPort := ports[0], ports[1]

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "devnet.yaml")
	cfg := fmt.Sprintf("coin: Bitcoin\nnet: regtest\ndb_directory: ./unused\ndaemon_url: amber:amber@127.0.0.1:%d\n"+
		"services: tcp://127.0.0.1:%d,ws://127.0.0.1:%d,rpc://127.0.0.1:%d\nmempool_poll_interval: 1s\nlog_level: warn\n",
		foreign.RPCPort(), heldPort, wsPort, rpcPort)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	pr, pw := io.Pipe()
	errLog := &lockedWriter{w: &strings.Builder{}}
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		err := run(runCtx, []string{"-bin", bin, "-config", cfgPath, "-dir", filepath.Join(dir, "net"),
			"-blocks", "110", "-plugins", "hello-method"}, pw, errLog)
		pw.CloseWithError(fmt.Errorf("devnet returned: %v", err))
		done <- err
	}()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Ctrl-C stops") {
			break
		}
	}
	text := out.String()
	if !strings.Contains(text, "Amber devnet is up") {
		t.Fatalf("no ready output (%v):\n%s\nstderr:\n%s", sc.Err(), text, errLog)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Logf("ready output:\n%s", text)

	tcp := readyAddr(t, text, "electrum tcp")
	if port(t, tcp) == heldPort {
		t.Errorf("electrum tcp on the held port %d", heldPort)
	}
	if ws := readyAddr(t, text, "electrum ws"); port(t, ws) != wsPort {
		t.Errorf("electrum ws on %s, want the config's free port %d", ws, wsPort)
	}
	if rpc := readyAddr(t, text, "admin rpc"); port(t, rpc) != rpcPort {
		t.Errorf("admin rpc on %s, want the config's free port %d", rpc, rpcPort)
	}
	if b := readyAddr(t, text, "btcd rpc"); port(t, b) == foreign.RPCPort() {
		t.Errorf("devnet's btcd on the other btcd's port %s", b)
	}
	if !strings.Contains(errLog.String(), fmt.Sprintf("port %d from the config is in use", foreign.RPCPort())) {
		t.Errorf("no warning about the taken btcd port in:\n%s", errLog)
	}
	// The other btcd was left alone.
	if h, err := foreign.GetBlockCount(ctx); err != nil || h != 5 {
		t.Errorf("the other btcd: height %d, %v; want 5 (untouched)", h, err)
	}

	// Every printed nc example works as printed.
	ncRe := regexp.MustCompile(`\(printf '%s\\n' '(\{[^']*"server.version"[^']*\})' '([^']*)'; sleep 1\) \| nc -q 0 (\S+) (\d+)`)
	examples := ncRe.FindAllStringSubmatch(text, -1)
	if len(examples) < 3 { // get_balance, hello.world, hello.height
		t.Fatalf("%d example calls printed, want get_balance and one per hello method:\n%s", len(examples), text)
	}
	answers := map[string]json.RawMessage{}
	for _, ex := range examples {
		var req struct {
			Method string `json:"method"`
			Params []any  `json:"params"`
		}
		if err := json.Unmarshal([]byte(ex[2]), &req); err != nil {
			t.Fatalf("printed request %s: %v", ex[2], err)
		}
		// As the shell line does: both lines at once, the input left open
		// while the answers come (no half-close).
		if err := pipelined(ctx, net.JoinHostPort(ex[3], ex[4]), ex[1], ex[2]); err != nil {
			t.Errorf("printed lines %s: %v", ex[2], err)
		}
		var res json.RawMessage
		if err := call(ctx, net.JoinHostPort(ex[3], ex[4]), req.Method, req.Params, &res); err != nil {
			t.Errorf("printed call %s: %v", ex[2], err)
			continue
		}
		answers[req.Method] = res
	}
	if got := string(answers["hello.world"]); got != `"hello, amber"` {
		t.Errorf("hello.world example answered %s", got)
	}
	var bal struct{ Confirmed int64 }
	if err := json.Unmarshal(answers["blockchain.scripthash.get_balance"], &bal); err != nil || bal.Confirmed <= 0 {
		t.Errorf("get_balance of the first funded wallet: %s (%v), want a confirmed balance", answers["blockchain.scripthash.get_balance"], err)
	}
	if !regexp.MustCompile(`(?m)^              scripthash [0-9a-f]{64}$`).MatchString(text) ||
		!regexp.MustCompile(`(?m)address +bcrt1`).MatchString(text) {
		t.Errorf("no script hash or regtest address printed:\n%s", text)
	}
	// The printed amberctl line works.
	m := regexp.MustCompile(`(?m)^  (\S+amberctl) -p (\d+) getinfo$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no amberctl getinfo line:\n%s", text)
	}
	if out, err := exec.CommandContext(ctx, m[1], "-p", m[2], "getinfo").CombinedOutput(); err != nil || !strings.Contains(string(out), `"db height": 110`) {
		t.Errorf("amberctl getinfo: %v\n%s", err, out)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("devnet after Ctrl-C: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("devnet did not stop within a minute of Ctrl-C")
	}
	if h, err := foreign.GetBlockCount(ctx); err != nil || h != 5 {
		t.Errorf("the other btcd after the devnet stopped: height %d, %v", h, err)
	}
}

// lockedWriter serialises writes from the devnet's and amberd's loggers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.w)
}

// pipelined writes lines at once on a fresh connection, as the printed nc
// examples do, and reads one answer per line (each with a result) while
// the connection stays open.
func pipelined(ctx context.Context, addr string, lines ...string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for range lines {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		if !bytes.Contains(line, []byte(`"result":`)) {
			return fmt.Errorf("answer without a result: %s", line)
		}
	}
	return nil
}
