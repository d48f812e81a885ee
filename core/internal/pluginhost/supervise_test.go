package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// fakeClock is a Clock whose timers fire when the test says so.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan fakeWait
}

// fakeWait is one After call of the supervisor.
type fakeWait struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), waits: make(chan fakeWait, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := fakeWait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// nextWait returns the supervisor's next backoff wait.
func (c *fakeClock) nextWait(t *testing.T) fakeWait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(30 * time.Second):
		t.Fatal("the supervisor did not start a backoff wait")
		return fakeWait{}
	}
}

// noWait fails if the supervisor has asked for another wait.
func (c *fakeClock) noWait(t *testing.T) {
	t.Helper()
	select {
	case w := <-c.waits:
		t.Errorf("unexpected backoff wait of %s", w.d)
	default:
	}
}

// modeFile makes the helper read its mode from a file, returning the spec
// and a function that changes the mode for the next start.
func modeFile(t *testing.T, spec Spec, mode string) (Spec, func(string)) {
	path := filepath.Join(t.TempDir(), "mode")
	set := func(m string) {
		if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set(mode)
	spec.Env = []string{helperEnv + "=file:" + path}
	return spec, set
}

// killPlugin SIGKILLs the plugin's current process.
func killPlugin(t *testing.T, p *Plugin) {
	t.Helper()
	pid := p.PID()
	if pid <= 0 {
		t.Fatalf("no plugin process to kill (state %s)", p.State())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond (plugin state changes happen on the supervisor
// goroutine) and fails after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func waitDone(t *testing.T, p *Plugin) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("Done not closed (state %s)", p.State())
	}
}

// wantNotRunning asserts the error of a call made while the plugin is down.
func wantNotRunning(t *testing.T, err error) {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindUnavailable || e.Message != `plugin "bitcoind" is not running` {
		t.Fatalf("call while down: %v (%T), want KindUnavailable %q", err, err, `plugin "bitcoind" is not running`)
	}
}

// ctx30 is a generous call context: a call that hangs instead of failing
// fast ends with DeadlineExceeded, which wantNotRunning rejects.
func ctx30(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestRestartAfterKill uses the real clock and the default 1 s delay: calls
// fail fast while the plugin is down and then work again through the same
// adapter, and the restarted plugin gets the daemon URLs set before.
func TestRestartAfterKill(t *testing.T) {
	spec := helperSpec(t, "serve")
	spec.Restart = RestartPolicy{Delay: time.Second, MaxDelay: 2 * time.Minute, CrashLimit: 5, CrashWindow: 10 * time.Minute}
	p := launch(t, spec)
	chain := p.Chain()
	urls := []string{"http://127.0.0.1:18443"}
	if err := chain.SetDaemonURLs(ctx5(t), urls); err != nil {
		t.Fatal(err)
	}
	oldPID := p.PID()
	killed := time.Now()
	killPlugin(t, p)
	failures := 0
	for {
		_, err := chain.Tip(ctx30(t))
		if err == nil {
			break
		}
		wantNotRunning(t, err)
		failures++
		if p.State() == StateFailed {
			t.Fatalf("plugin failed: %v", p.Err())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("restart: %s from kill -9 to the first successful call (%d calls failed meanwhile)", time.Since(killed), failures)
	if failures == 0 {
		t.Error("no call failed after kill -9")
	}
	if p.Chain() != chain {
		t.Error("Chain returned another adapter after the restart")
	}
	if p.State() != StateRunning || p.Restarts() != 1 || p.PID() == oldPID || p.PID() == 0 || !gone(oldPID) {
		t.Errorf("State %q Restarts %d PID %d (old %d, gone %v)", p.State(), p.Restarts(), p.PID(), oldPID, gone(oldPID))
	}
	info, err := chain.DaemonInfo(ctx5(t))
	if err != nil || info.Subversion != "urls="+strings.Join(urls, ",") {
		t.Errorf("restarted plugin's daemon URLs: %q, %v; want %q", info.Subversion, err, urls)
	}
	select {
	case <-p.Done():
		t.Error("Done closed by a crash that was followed by a restart")
	default:
	}
}

// TestBackoffWindowAndBreaker drives the supervisor with a fake clock: the
// delay doubles per counted crash up to MaxDelay, crashes older than the
// window stop counting, and the CrashLimit-th crash opens the breaker.
func TestBackoffWindowAndBreaker(t *testing.T) {
	rec := &records{}
	clk := newFakeClock()
	spec := helperSpec(t, "serve")
	spec.Logger = slog.New(rec)
	spec.Clock = clk
	spec.Restart = RestartPolicy{Delay: time.Second, MaxDelay: 3 * time.Second, CrashLimit: 4, CrashWindow: time.Hour}
	p := launch(t, spec)
	chain := p.Chain()
	steps := []struct {
		advance time.Duration // fake time passing before the crash
		delay   time.Duration // expected backoff
	}{
		{0, time.Second},
		{time.Minute, 2 * time.Second},
		{2 * time.Hour, time.Second}, // the first two crashes left the window
		{time.Minute, 2 * time.Second},
		{time.Minute, 3 * time.Second}, // 4 s capped at MaxDelay
	}
	for i, st := range steps {
		clk.advance(st.advance)
		killPlugin(t, p)
		w := clk.nextWait(t)
		if w.d != st.delay {
			t.Errorf("crash %d: backoff %s, want %s", i+1, w.d, st.delay)
		}
		// The supervisor is blocked in its backoff: the plugin is down.
		_, err := chain.Tip(ctx30(t))
		wantNotRunning(t, err)
		if s := p.State(); s != StateRestarting {
			t.Errorf("crash %d: state %q during backoff", i+1, s)
		}
		w.fire <- clk.Now()
		waitFor(t, "the restart", func() bool { return p.Restarts() == int64(i+1) })
		if _, err := chain.Tip(ctx30(t)); err != nil || p.State() != StateRunning {
			t.Fatalf("after restart %d: Tip %v, state %q", i+1, err, p.State())
		}
	}
	// Crashes 3, 4 and 5 are in the window: the next one is the 4th.
	clk.advance(time.Minute)
	killPlugin(t, p)
	waitDone(t, p)
	clk.noWait(t)
	if p.State() != StateFailed || p.Restarts() != int64(len(steps)) || !strings.Contains(p.Err().Error(), "crash-loop breaker") {
		t.Errorf("State %q Restarts %d Err %v; want failed after %d restarts, breaker", p.State(), p.Restarts(), p.Err(), len(steps))
	}
	_, err := chain.Tip(ctx30(t))
	wantNotRunning(t, err)
	lvl, stderr, ok := rec.attr("crash-loop breaker", "stderr")
	if !ok || lvl != slog.LevelError || !strings.Contains(stderr, "helper configured with") {
		t.Errorf("breaker log: found %v, level %v, stderr %q; want an error with the plugin's last stderr lines", ok, lvl, stderr)
	}
}

// TestFailedRestartsOpenBreaker: a restart whose process dies before the
// handshake counts as a crash, and the breaker log carries its stderr.
func TestFailedRestartsOpenBreaker(t *testing.T) {
	rec := &records{}
	clk := newFakeClock()
	spec, setMode := modeFile(t, helperSpec(t, ""), "serve")
	spec.Logger = slog.New(rec)
	spec.Clock = clk
	spec.Restart = RestartPolicy{Delay: time.Second, MaxDelay: time.Minute, CrashLimit: 3}
	p := launch(t, spec)
	setMode("crash")
	killPlugin(t, p)
	for _, want := range []time.Duration{time.Second, 2 * time.Second} {
		w := clk.nextWait(t)
		if w.d != want {
			t.Errorf("backoff %s, want %s", w.d, want)
		}
		w.fire <- clk.Now()
	}
	waitDone(t, p)
	clk.noWait(t)
	err := p.Err()
	if p.State() != StateFailed || p.Restarts() != 0 || err == nil ||
		!strings.Contains(err.Error(), "3 crashes ever") || !strings.Contains(err.Error(), "exited before the handshake") {
		t.Errorf("State %q Restarts %d Err %v", p.State(), p.Restarts(), err)
	}
	if _, stderr, ok := rec.attr("crash-loop breaker", "stderr"); !ok || !strings.Contains(stderr, "cannot open datadir") {
		t.Errorf("breaker log stderr %q (found %v), want the failed start's stderr", stderr, ok)
	}
}

// TestRestartRefused: a restart is refused for good (no retry) when the
// plugin reports another genesis block or the pinned binary changed.
func TestRestartRefused(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, setMode func(string), bin string)
		want   string
	}{
		{"genesis changed", func(t *testing.T, setMode func(string), _ string) { setMode("genesis2") },
			"reports genesis block"},
		{"binary replaced", func(t *testing.T, _ func(string), bin string) { replaceBinary(t, bin) },
			"checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			spec, setMode := modeFile(t, helperSpec(t, ""), "serve")
			spec.Path = copyBinary(t)
			spec.SHA256 = fileSHA256(spec.Path)
			spec.Clock = clk
			spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 100}
			p := launch(t, spec)
			tt.change(t, setMode, spec.Path)
			killPlugin(t, p)
			clk.nextWait(t).fire <- clk.Now()
			waitDone(t, p)
			clk.noWait(t)
			if p.State() != StateFailed || p.Restarts() != 0 || p.Err() == nil || !strings.Contains(p.Err().Error(), tt.want) {
				t.Errorf("State %q Restarts %d Err %v; want failed, %q", p.State(), p.Restarts(), p.Err(), tt.want)
			}
			_, err := p.Chain().Tip(ctx30(t))
			wantNotRunning(t, err)
		})
	}
}

// copyBinary copies the test binary (the helper plugin) to a temp dir.
func copyBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "amber-helper")
	src, err := os.Open(testExe(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// replaceBinary puts a different file at path (rename: the old one may be
// running).
func replaceBinary(t *testing.T, path string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownDuringBackoff: Shutdown cancels a pending restart.
func TestShutdownDuringBackoff(t *testing.T) {
	clk := newFakeClock()
	spec := helperSpec(t, "serve")
	spec.Clock = clk
	spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 5}
	p := launch(t, spec)
	killPlugin(t, p)
	w := clk.nextWait(t)
	if p.State() != StateRestarting {
		t.Errorf("state %q during backoff", p.State())
	}
	if err := p.Shutdown(ctx30(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	w.fire <- clk.Now() // too late: the supervisor has returned
	waitDone(t, p)
	clk.noWait(t)
	if p.State() != StateStopped || p.Restarts() != 0 || p.PID() != 0 {
		t.Errorf("State %q Restarts %d PID %d after Shutdown", p.State(), p.Restarts(), p.PID())
	}
	_, err := p.Chain().Tip(ctx30(t))
	wantNotRunning(t, err)
}

// TestShutdownNotACrash: a plugin stopped by Shutdown is not restarted.
func TestShutdownNotACrash(t *testing.T) {
	clk := newFakeClock()
	spec := helperSpec(t, "serve")
	spec.Clock = clk
	spec.Restart = RestartPolicy{Delay: time.Second}
	p := launch(t, spec)
	pid := p.PID()
	if err := p.Shutdown(ctx30(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	clk.noWait(t)
	if p.State() != StateStopped || !gone(pid) || p.Err() != nil {
		t.Errorf("State %q, process gone %v, Err %v after Shutdown", p.State(), gone(pid), p.Err())
	}
}

// TestLargeMessages: both sides accept messages above gRPC's default 4 MiB
// (the reply of Transaction, the request of Broadcast), up to
// sdk.MaxMessageSize.
func TestLargeMessages(t *testing.T) {
	p := launch(t, helperSpec(t, "big"))
	raw := bigTx()
	js, err := p.Chain().Transaction(ctx30(t), doubleSHA256(raw), false)
	if err != nil || len(js) != 2*len(raw)+2 {
		t.Errorf("Transaction of a %d-byte tx: %d bytes, %v", len(raw), len(js), err)
	}
	txid, err := p.Chain().Broadcast(ctx30(t), hex.EncodeToString(raw))
	if err != nil || txid != doubleSHA256(raw).String() {
		t.Errorf("Broadcast of a %d-byte tx: %q, %v", len(raw), txid, err)
	}
}

func doubleSHA256(b []byte) sdk.Hash {
	first := sha256.Sum256(b)
	return sdk.Hash(sha256.Sum256(first[:]))
}
