package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/store"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

// AmberdOptions configures StartAmberd. Only DaemonURL is required.
type AmberdOptions struct {
	// DaemonURL is the daemon's "user:pass@127.0.0.1:port" (regtest
	// Node.URL()).
	DaemonURL string
	// Net is the NET setting; "regtest" if empty.
	Net string
	// DBDir is DB_DIRECTORY; a per-test temporary directory if empty. Reuse
	// a directory to restart on an existing database.
	DBDir string
	// Env holds extra configuration variables (ElectrumX or AMBER_ names,
	// e.g. "MAX_SEND", "AMBER_MAX_RECV"); they override the harness defaults.
	Env map[string]string
	// WaitSynced makes StartAmberd wait until the TCP service accepts
	// connections, which amberd opens only once its index caught up with
	// the daemon. Without it StartAmberd returns right after the process
	// started (use WaitReady later).
	WaitSynced bool
	// StartTimeout bounds WaitSynced; default 5 minutes.
	StartTimeout time.Duration
	// Engine is db_engine (AMBER_DB_ENGINE): store.EnginePebble or
	// store.EngineBunt; "" means DefaultEngine(). An AMBER_DB_ENGINE in
	// Env wins.
	Engine string
}

// EngineEnv names the variable that sets the engine of the tests that do
// not choose one (DefaultEngine): AMBER_E2E_DB_ENGINE=buntdb runs them on
// buntdb.
const EngineEnv = "AMBER_E2E_DB_ENGINE"

// DefaultEngine is the engine of tests that do not choose one: $EngineEnv,
// else amberd's default, pebble.
func DefaultEngine() string {
	if e := os.Getenv(EngineEnv); e != "" {
		return e
	}
	return store.EnginePebble
}

// Engines are the store engines, for tests that run on each.
func Engines() []string { return slices.Clone(store.Engines) }

// Amberd is a running amberd process (with its amber-bitcoind child). The
// test's cleanup stops it and, if the test failed, logs its output.
type Amberd struct {
	t        testing.TB
	bins     Bins
	opts     AmberdOptions
	env      []string
	tcp      string
	ws       string
	rpc      string
	logPath  string
	logPaths []string // every start's, in order
	cmd      *exec.Cmd
	done     chan struct{}
	mu       sync.Mutex
	exitErr  error
	stopped  bool
	pgid     int
	logCount int
}

// StartAmberd starts amberd for the test with a clean environment (PATH and
// HOME plus the configuration below and opts.Env) and free 127.0.0.1 ports:
//
//	COIN=Bitcoin NET=regtest DB_DIRECTORY DAEMON_URL ALLOW_ROOT=true
//	SERVICES=tcp://127.0.0.1:P,ws://127.0.0.1:P2,rpc://127.0.0.1:P3
//	PEER_DISCOVERY=off PEER_ANNOUNCE=false LOG_LEVEL=info
//	COST_SOFT_LIMIT=0 COST_HARD_LIMIT=0 (no throttling: tests make many calls)
//	AMBER_MEMPOOL_POLL_INTERVAL=200ms AMBER_PLUGINS__BITCOIND__PATH=<plugin>
//
// stdout and stderr go to a file in the test's temp dir (Logs). With
// opts.WaitSynced it returns once the TCP service accepts connections. A
// start failure fails the test.
func StartAmberd(t testing.TB, opts AmberdOptions) *Amberd {
	t.Helper()
	if opts.DaemonURL == "" {
		t.Fatal("StartAmberd: DaemonURL is required")
	}
	if opts.Net == "" {
		opts.Net = "regtest"
	}
	if opts.DBDir == "" {
		opts.DBDir = filepath.Join(t.TempDir(), "db")
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 5 * time.Minute
	}
	if e, ok := opts.Env["AMBER_DB_ENGINE"]; ok {
		opts.Engine = e
	}
	if opts.Engine == "" {
		opts.Engine = DefaultEngine()
	}
	if !slices.Contains(store.Engines, opts.Engine) {
		t.Fatalf("StartAmberd: unknown engine %q (want one of %v)", opts.Engine, store.Engines)
	}
	a := &Amberd{t: t, bins: Binaries(t), opts: opts}
	if err := a.start(); err != nil {
		t.Fatalf("start amberd: %v\n%s", err, a.tail(64<<10))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("amberd output (%s), tail:\n%s", a.logPath, a.tail(64<<10))
		}
		a.Stop()
	})
	if opts.WaitSynced {
		ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
		defer cancel()
		if err := a.WaitReady(ctx); err != nil {
			t.Fatalf("amberd not ready: %v", err)
		}
	}
	return a
}

func (a *Amberd) start() error {
	ports, err := regtest.FreePorts(3)
	if err != nil {
		return err
	}
	for i, p := range []*string{&a.tcp, &a.ws, &a.rpc} {
		*p = "127.0.0.1:" + strconv.Itoa(ports[i])
	}
	home, _ := os.UserHomeDir()
	vars := map[string]string{
		"PATH":                          testenv.SearchPath(),
		"HOME":                          home,
		"COIN":                          "Bitcoin",
		"NET":                           a.opts.Net,
		"DB_DIRECTORY":                  a.opts.DBDir,
		"DAEMON_URL":                    a.opts.DaemonURL,
		"SERVICES":                      "tcp://" + a.tcp + ",ws://" + a.ws + ",rpc://" + a.rpc,
		"ALLOW_ROOT":                    "true",
		"PEER_DISCOVERY":                "off",
		"PEER_ANNOUNCE":                 "false",
		"LOG_LEVEL":                     "info",
		"COST_SOFT_LIMIT":               "0",
		"COST_HARD_LIMIT":               "0",
		"AMBER_MEMPOOL_POLL_INTERVAL":   "200ms",
		"AMBER_PLUGINS__BITCOIND__PATH": a.bins.Plugin,
		"AMBER_DB_ENGINE":               a.opts.Engine,
	}
	for k, v := range a.opts.Env {
		vars[k] = v
	}
	a.env = a.env[:0]
	for k, v := range vars {
		a.env = append(a.env, k+"="+v)
	}
	slices.Sort(a.env)

	a.logCount++
	a.logPath = filepath.Join(a.t.TempDir(), fmt.Sprintf("amberd-%d.log", a.logCount))
	a.logPaths = append(a.logPaths, a.logPath)
	out, err := os.Create(a.logPath)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	cmd := exec.Command(a.bins.Amberd)
	cmd.Env = a.env
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group: the plugin child joins it, so cleanup can kill both
	// even after amberd itself was killed with SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", a.bins.Amberd, err)
	}
	done := make(chan struct{})
	a.mu.Lock()
	a.cmd, a.done, a.stopped, a.exitErr, a.pgid = cmd, done, false, nil, cmd.Process.Pid
	a.mu.Unlock()
	go func() {
		err := cmd.Wait()
		out.Close()
		a.mu.Lock()
		a.exitErr = err
		a.mu.Unlock()
		close(done)
	}()
	return nil
}

// WaitReady waits until the TCP service accepts connections (amberd opens
// it once the index caught up). It fails early if amberd exits.
// Ports are picked free but held by nobody until amberd binds them, after
// its index caught up: when another process took one in between (amberd
// exits with "address already in use"), amberd is started again on new
// ports, twice at most.
func (a *Amberd) WaitReady(ctx context.Context) error {
	for retries := 0; ; {
		var d net.Dialer
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(cctx, "tcp", a.tcp)
		cancel()
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-a.done:
			if retries < 2 && strings.Contains(a.tail(4<<10), "address already in use") {
				retries++
				if err := a.start(); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("amberd exited (%v) before serving on %s", a.ExitErr(), a.tcp)
		case <-ctx.Done():
			return fmt.Errorf("amberd TCP %s not open: %w", a.tcp, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TCPAddr returns the Electrum TCP service address, "127.0.0.1:port".
func (a *Amberd) TCPAddr() string { return a.tcp }

// WSAddr returns the Electrum websocket service address, "127.0.0.1:port".
func (a *Amberd) WSAddr() string { return a.ws }

// RPCAddr returns the admin RPC service address, "127.0.0.1:port".
func (a *Amberd) RPCAddr() string { return a.rpc }

// DBDir returns the DB_DIRECTORY in use.
func (a *Amberd) DBDir() string { return a.opts.DBDir }

// Engine is amberd's store engine.
func (a *Amberd) Engine() string { return a.opts.Engine }

// DBPath is where amberd's engine keeps the index under DBDir: the pebble
// directory or the buntdb file.
func (a *Amberd) DBPath() string { return store.Path(a.opts.DBDir, a.opts.Engine) }

// PID returns amberd's process id.
func (a *Amberd) PID() int { return a.cmd.Process.Pid }

// Done is closed when the amberd process has exited.
func (a *Amberd) Done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.done
}

// Alive reports whether the amberd process is still running.
func (a *Amberd) Alive() bool {
	select {
	case <-a.Done():
		return false
	default:
		return true
	}
}

// ExitErr returns the process's exit error (nil while running or after a
// clean exit).
func (a *Amberd) ExitErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.exitErr
}

// Stop sends SIGTERM and waits for amberd to exit (SIGKILL after 30 s),
// then kills whatever is left of its process group (the plugin). It is
// idempotent.
func (a *Amberd) Stop() {
	a.signal(syscall.SIGTERM, 30*time.Second)
}

// Kill sends SIGKILL to amberd only (not to its plugin child) and waits for
// it to exit. Cleanup still reaps the orphaned plugin via the process group.
func (a *Amberd) Kill() {
	a.signal(syscall.SIGKILL, 30*time.Second)
}

func (a *Amberd) signal(sig syscall.Signal, grace time.Duration) {
	a.mu.Lock()
	cmd, done, stopped, pgid := a.cmd, a.done, a.stopped, a.pgid
	a.stopped = true
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	if !stopped {
		_ = cmd.Process.Signal(sig)
		select {
		case <-done:
		case <-time.After(grace):
			a.t.Logf("amberd pid %d did not exit on %v; killing", cmd.Process.Pid, sig)
			_ = cmd.Process.Kill()
			<-done
		}
	}
	if sig != syscall.SIGKILL {
		// Leftovers of our own process group (an orphaned plugin).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// Restart stops amberd (SIGTERM, unless already stopped or killed) and
// starts it again on the same database, services and ports' settings (new
// ports are picked). With wait it waits for the TCP service.
func (a *Amberd) Restart(ctx context.Context, wait bool) error {
	a.Stop()
	_ = syscall.Kill(-a.pgid, syscall.SIGKILL)
	if err := a.start(); err != nil {
		return err
	}
	if wait {
		return a.WaitReady(ctx)
	}
	return nil
}

// PluginPID returns the pid of amberd's amber-bitcoind child, found through
// /proc/*/stat (parent pid and command name).
func (a *Amberd) PluginPID() (int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("read /proc: %w", err)
	}
	want := strconv.Itoa(a.PID())
	name := filepath.Base(a.bins.Plugin)
	if len(name) > 15 { // the kernel truncates comm to 15 bytes
		name = name[:15]
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, ppid, err := procStat(pid)
		if err == nil && ppid == want && comm == name {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no %s child of amberd pid %s", name, want)
}

// procStat returns the command name and parent pid of a process.
func procStat(pid int) (comm, ppid string, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", err
	}
	// "pid (comm) state ppid ...": comm may contain spaces and ')'.
	open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return "", "", errors.New("malformed stat")
	}
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 2 {
		return "", "", errors.New("malformed stat")
	}
	return string(b[open+1 : close]), f[1], nil
}

// Logs returns everything amberd has written to stdout and stderr so far
// (current run).
func (a *Amberd) Logs() string {
	b, _ := os.ReadFile(a.logPath)
	return string(b)
}

// AllLogs is the output of every start of amberd so far, in order.
func (a *Amberd) AllLogs() string {
	var b strings.Builder
	for _, p := range a.logPaths {
		out, _ := os.ReadFile(p)
		b.Write(out)
	}
	return b.String()
}

func (a *Amberd) tail(n int) string {
	s := a.Logs()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// Ctl runs amberctl against the admin RPC service with args (e.g.
// "getinfo" or "--json", "getinfo") and returns its stdout and exit code.
// stderr is logged when the exit code is not 0.
func (a *Amberd) Ctl(args ...string) (stdout string, exit int) {
	a.t.Helper()
	_, port, _ := net.SplitHostPort(a.rpc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bins.Amberctl, append([]string{"-p", port, "--host", "127.0.0.1"}, args...)...)
	cmd.Env = []string{"PATH=" + testenv.SearchPath()}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		a.t.Logf("amberctl %v: %v", args, err)
		code = -1
	}
	if code != 0 {
		a.t.Logf("amberctl %v exited %d: %s", args, code, errb.String())
	}
	return out.String(), code
}
