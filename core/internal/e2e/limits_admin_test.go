package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// adminExchange sends raw to the admin RPC and returns all it answers
// until amberd closes the connection.
func adminExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("admin connection not closed: %v (read %q)", err, out)
	}
	return string(out)
}

// TestAdminRPCHardened (issue 11.6) against a real amberd with rpc_auth:
// cookie: the cookie file is written 0600 in db_directory; what curl sends
// as HTTP/0.9 or HTTP/1.1 POST (the body a valid stop request with the
// right cookie) executes nothing and gets nothing back; a request without
// or with a wrong cookie is refused and the connection closed; amberctl
// finds the cookie from amberd's environment or --cookie, and fails
// without it; the file is removed at shutdown.
func TestAdminRPCHardened(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 72, regtest.Spec{Blocks: 102, TxPerBlock: 1, Scripts: 2})
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_RPC_AUTH": "cookie"}})
	path := filepath.Join(a.DBDir(), "rpc.cookie")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("cookie file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cookie file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	cookie := strings.TrimSpace(string(b))

	stop := `{"jsonrpc":"2.0","method":"stop","id":1,"auth":"` + cookie + `"}` + "\n"
	for name, raw := range map[string]string{
		"curl --http0.9 -X POST": "POST / HTTP/1.1\r\nHost: " + a.RPCAddr() + "\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n" +
			"Content-Length: 120\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" + stop,
		"HTTP/1.1 POST": "POST /rpc HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + stop,
		"HTTP/1.0 GET":  "GET /?" + stop + " HTTP/1.0\r\n\r\n",
	} {
		if out := adminExchange(t, a.RPCAddr(), raw); out != "" {
			t.Errorf("%s: amberd answered %q, want nothing", name, out)
		}
	}
	for name, line := range map[string]string{
		"no cookie":    `{"jsonrpc":"2.0","method":"stop","id":2}`,
		"wrong cookie": `{"jsonrpc":"2.0","method":"stop","id":2,"auth":"` + strings.Repeat("0", len(cookie)) + `"}`,
	} {
		out := adminExchange(t, a.RPCAddr(), line+"\n"+stop)
		if !strings.Contains(out, `"code":-32600`) || !strings.Contains(out, "authentication required") || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: got %q, want one authentication error then the close", name, out)
		}
	}
	// amberctl: --cookie, and by default from amberd's environment.
	if out, code := a.Ctl("--cookie", path, "--json", "getinfo"); code != 0 || !strings.Contains(out, `"pid"`) {
		t.Errorf("amberctl --cookie getinfo: exit %d, %q", code, out)
	}
	if _, code := a.Ctl("--json", "getinfo"); code != 1 {
		t.Errorf("amberctl without the cookie: exit %d, want 1", code)
	}
	_, port, _ := net.SplitHostPort(a.RPCAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binaries(t).Amberctl, "-p", port, "--json", "getinfo")
	cmd.Env = []string{"DB_DIRECTORY=" + a.DBDir()}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), `"pid"`) {
		t.Errorf("amberctl with DB_DIRECTORY: %v, %q", err, out.String())
	}

	// A stop executed above would have ended amberd by now (it stops
	// 100 ms after replying); the amberctl calls above also needed it.
	if !a.Alive() {
		t.Fatalf("amberd stopped: a refused request was executed")
	}
	// A well-formed session keeps working across requests.
	c, err := net.DialTimeout("tcp", a.RPCAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	rd := bufio.NewReader(c)
	for id := 1; id <= 3; id++ {
		io.WriteString(c, `{"jsonrpc":"2.0","method":"groups","id":`+string(rune('0'+id))+`,"auth":"`+cookie+`"}`+"\n")
		if line, err := rd.ReadString('\n'); err != nil || !strings.Contains(line, `"result"`) {
			t.Fatalf("request %d with the cookie: %q %v", id, line, err)
		}
	}
	c.Close()

	a.Stop()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("cookie file left after shutdown: %v", err)
	}
}

// TestProtectionOffStopsStartup (issue 11.7): values that would turn a
// protection off stop amberd at start with a message naming the key.
func TestProtectionOffStopsStartup(t *testing.T) {
	for key, env := range map[string]map[string]string{
		"max_sessions":   {"MAX_SESSIONS": "0"},
		"max_recv":       {"MAX_RECV": "0"},
		"metrics_listen": {"AMBER_METRICS_LISTEN": "0.0.0.0:0"},
	} {
		a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: "u:p@127.0.0.1:1", Env: env})
		select {
		case <-a.Done():
		case <-time.After(time.Minute):
			t.Fatalf("%s: amberd still running", key)
		}
		if a.ExitErr() == nil {
			t.Errorf("%s: amberd exited 0", key)
		}
		if logs := a.Logs(); !strings.Contains(logs, key) {
			t.Errorf("%s: the error does not name the key:\n%s", key, logs)
		}
	}
}
