package pluginhost

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// records is a slog handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// find returns the level of the first record whose message contains s.
func (r *records) find(s string) (slog.Level, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if strings.Contains(rec.Message, s) {
			return rec.Level, true
		}
	}
	return 0, false
}

// attr returns the level and the value of attribute key of the first
// record whose message contains s.
func (r *records) attr(s, key string) (slog.Level, string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if !strings.Contains(rec.Message, s) {
			continue
		}
		val := ""
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				val = a.Value.String()
				return false
			}
			return true
		})
		return rec.Level, val, true
	}
	return 0, "", false
}

func testExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func helperSpec(t *testing.T, mode string) Spec {
	return Spec{
		Name:         "bitcoind",
		Path:         testExe(t),
		Env:          []string{helperEnv + "=" + mode},
		ConfigKey:    "plugins.bitcoind.path",
		StartTimeout: 20 * time.Second,
		Logger:       slog.New(slog.DiscardHandler),
	}
}

// launch starts a helper plugin and shuts it down at the end of the test.
func launch(t *testing.T, spec Spec) *Plugin {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := Launch(ctx, spec)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	// A zombie (state Z) has exited but not been reaped by its new parent.
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}

func TestLaunchDescribeCallShutdown(t *testing.T) {
	rec := &records{}
	spec := helperSpec(t, "serve")
	spec.Logger = slog.New(rec)
	spec.Config = []byte(`{"url":"http://127.0.0.1:8332"}`)
	sum := sha256.New()
	f, err := os.Open(spec.Path)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(sum, f)
	f.Close()
	spec.SHA256 = hex.EncodeToString(sum.Sum(nil))

	p := launch(t, spec)
	d := p.Describe()
	if d.Name != "fake" || d.SDKVersion != sdk.Version || d.Network != "regtest" || d.GenesisHash == (sdk.Hash{}) {
		t.Errorf("Describe = %+v", d)
	}
	tip, err := chainOf(p).Tip(ctx5(t))
	if err != nil || tip.Height != 4 {
		t.Fatalf("Tip = %+v, %v; want height 4", tip, err)
	}
	var heights []int64
	if err := chainOf(p).Blocks(ctx5(t), 1, 10, func(b sdk.Block) error {
		heights = append(heights, b.Height)
		return nil
	}); err != nil || len(heights) != 4 {
		t.Errorf("Blocks: %v heights %v", err, heights)
	}
	_, err = chainOf(p).Transaction(ctx5(t), sdk.Hash{7}, false)
	if sdk.KindOf(err) != sdk.KindDaemon {
		t.Errorf("unknown tx: %v (kind %v), want daemon", err, sdk.KindOf(err))
	}

	pid := p.PID()
	if pid <= 0 || gone(pid) || p.Exited() {
		t.Fatalf("pid %d not running", pid)
	}
	if err := p.Shutdown(ctx5(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if !gone(pid) || !p.Exited() {
		t.Errorf("plugin process %d still exists after Shutdown", pid)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Shutdown")
	}
	// The plugin's log lines arrive through slog with their levels.
	for msg, want := range map[string]slog.Level{
		`helper configured with {"url":"http://127.0.0.1:8332"}`: slog.LevelWarn,
		"helper shutdown requested":                              slog.LevelInfo,
	} {
		if lvl, ok := rec.find(msg); !ok || lvl != want {
			t.Errorf("log %q: found %v at level %v, want level %v", msg, ok, lvl, want)
		}
	}
	_, err = chainOf(p).Tip(ctx5(t))
	if sdk.KindOf(err) != sdk.KindUnavailable || err.Error() != `plugin "bitcoind" is not running` {
		t.Errorf("call after Shutdown: %v (kind %v)", err, sdk.KindOf(err))
	}
}

// writeFile writes a file that is not a program and returns its path.
func writeFile(t *testing.T, name string, mode os.FileMode) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("not a program\n"), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExplicitEnvironment: the plugin gets Spec.Env and nothing of the
// host's environment.
func TestExplicitEnvironment(t *testing.T) {
	t.Setenv("AMBER_TEST_SECRET", "leaked")
	spec := helperSpec(t, "serve")
	spec.Env = append(spec.Env, "PLUGIN_VAR=given")
	if v := launch(t, spec).Describe().Version; v != "env:/given" {
		t.Errorf("plugin saw environment %q, want %q", v, "env:/given")
	}
}

func TestLaunchErrors(t *testing.T) {
	tests := []struct {
		name  string
		spec  func(Spec) Spec
		want  []string
		exact bool
	}{
		{"missing binary", func(s Spec) Spec { s.Path = "/nonexistent/amber-bitcoind"; return s },
			[]string{`plugin "bitcoind": binary not found at /nonexistent/amber-bitcoind (set plugins.bitcoind.path)`}, true},
		{"not executable", func(s Spec) Spec { s.Path = writeFile(t, "amber-plugin", 0o644); return s },
			[]string{`plugin "bitcoind"`, "not an executable", "plugins.bitcoind.path"}, false},
		{"not a program", func(s Spec) Spec { s.Path = writeFile(t, "amber-plugin", 0o755); return s },
			[]string{`plugin "bitcoind": cannot execute`, "exec format error", "plugins.bitcoind.path"}, false},
		{"sha256 mismatch", func(s Spec) Spec { s.SHA256 = strings.Repeat("00", 32); return s },
			[]string{`plugin "bitcoind"`, "checksum mismatch", strings.Repeat("00", 32)}, false},
		{"bad sha256 pin", func(s Spec) Spec { s.SHA256 = "xyz"; return s },
			[]string{`plugin "bitcoind"`, "64 hex"}, false},
		{"stdout before handshake", func(s Spec) Spec { s.Env = []string{helperEnv + "=noise"}; return s },
			[]string{`plugin "bitcoind"`, "stdout before the handshake", "hello from a chatty plugin"}, false},
		{"protocol version 99", func(s Spec) Spec { s.Env = []string{helperEnv + "=v99"}; return s },
			[]string{`plugin "bitcoind"`, "plugin speaks version 99", "host speaks version 1"}, false},
		{"exits before handshake", func(s Spec) Spec { s.Env = []string{helperEnv + "=crash"}; return s },
			[]string{`plugin "bitcoind"`, "exited before the handshake", "cannot open datadir"}, false},
		{"no chain capability", func(s Spec) Spec {
			s.Env, s.Capability = []string{helperEnv + "=nocap"}, sdk.CapChainBackend
			return s
		},
			[]string{`plugin "bitcoind"`, `"chain-backend" capability`}, false},
		{"configure fails", func(s Spec) Spec { s.Env = []string{helperEnv + "=badconfig"}; return s },
			[]string{`plugin "bitcoind": configure: rpc.url: missing`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			p, err := Launch(ctx, tt.spec(helperSpec(t, "serve")))
			if err == nil {
				p.Kill()
				t.Fatal("Launch succeeded")
			}
			for _, w := range tt.want {
				if (tt.exact && err.Error() != w) || !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestKilledPluginFailsFast(t *testing.T) {
	p := launch(t, helperSpec(t, "serve"))
	if _, err := chainOf(p).Tip(ctx5(t)); err != nil {
		t.Fatalf("Tip before kill: %v", err)
	}
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := chainOf(p).Tip(ctx5(t))
		var e *sdk.Error
		if !errors.As(err, &e) || e.Kind != sdk.KindUnavailable || e.Message != `plugin "bitcoind" is not running` {
			t.Fatalf("call %d after kill -9: %v (%T), want KindUnavailable not running", i, err, err)
		}
	}
	select {
	case <-p.Done():
	case <-ctx5(t).Done():
		t.Fatal("Done not closed after the plugin died")
	}
	if !p.Exited() || p.PID() != 0 {
		t.Errorf("Exited %v, PID %d after kill -9", p.Exited(), p.PID())
	}
	// Without a restart policy the plugin stays down: failed, no restart.
	if p.State() != StateFailed || p.Restarts() != 0 || p.Err() == nil {
		t.Errorf("State %q, Restarts %d, Err %v; want failed, 0, an error", p.State(), p.Restarts(), p.Err())
	}
	if err := p.Shutdown(ctx5(t)); err != nil {
		t.Errorf("Shutdown of a dead plugin: %v", err)
	}
}

// TestNoOrphanWhenHostDies: a host killed with SIGKILL takes its plugin with
// it, also a plugin its supervisor restarted. The plugin runs without the
// SDK's parent watchdog, so this tests the parent-death signal set up by
// Launch (and the locked thread each start runs on).
func TestNoOrphanWhenHostDies(t *testing.T) {
	for _, mode := range []string{"host", "hostrestart"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(testExe(t))
			cmd.Env = []string{helperEnv + "=" + mode}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("host helper: %v; stderr: %s", err, stderr.String())
			}
			pid, err := strconv.Atoi(strings.TrimSpace(line))
			if err != nil || pid <= 0 || gone(pid) {
				t.Fatalf("host helper printed %q", line)
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for !gone(pid) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("plugin %d outlived its host", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
