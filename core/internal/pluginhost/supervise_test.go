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
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// The supervision tests run in a testing/synctest bubble: time is fake and
// moves only when every goroutine of the bubble is durably blocked. While a
// plugin process runs, go-plugin waits for it in a system call (not durably
// blocked), so fake time stands still while a plugin runs and moves only
// while none does, in a restart backoff: the backoff is measured exactly as
// the fake time between the crash and the restart.

// bubble runs f in a synctest bubble whose fake clock starts at the real
// time: go-plugin's AutoMTLS certificates are valid from 30 s before their
// creation, and the plugin makes its own with the real clock, so the host's
// fake clock must not lag far behind it (nor lead it).
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	now := time.Now()
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Until(now)) // fake time jumps: nothing else runs yet
		f(t)
	})
}

// crashed kills the plugin's process and waits until the supervisor sits in
// its backoff (or has given up); it returns the fake time of the crash.
func crashed(t *testing.T, p *Plugin) time.Time {
	t.Helper()
	killPlugin(t, p)
	synctest.Wait()
	return time.Now()
}

// onRestart is an OnRestart hook that sends the fake time of each restart.
func onRestart() (func(*Plugin), <-chan time.Time) {
	ch := make(chan time.Time, 16)
	return func(*Plugin) { ch <- time.Now() }, ch
}

// restartedAfter waits for the next restart and returns how long after
// since it came.
func restartedAfter(t *testing.T, restarts <-chan time.Time, since time.Time) time.Duration {
	t.Helper()
	select {
	case at := <-restarts:
		return at.Sub(since)
	case <-time.After(time.Hour):
		t.Fatal("no restart within an hour of fake time")
		return 0
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

// waitFor waits for cond (plugin state changes happen on the supervisor
// goroutine). Inside a bubble fake time may stand still (a plugin runs), so
// it yields instead of sleeping; go test's -timeout catches a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("test ended waiting for %s", what)
		}
		runtime.Gosched()
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
// fail fast while the plugin is down and then work again through Call.
func TestRestartAfterKill(t *testing.T) {
	spec := helperSpec(t, "serve")
	spec.Restart = RestartPolicy{Delay: time.Second, MaxDelay: 2 * time.Minute, CrashLimit: 5, CrashWindow: 10 * time.Minute}
	p := launch(t, spec)
	chain := chainOf(p)
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
	if p.State() != StateRunning || p.Restarts() != 1 || p.PID() == oldPID || p.PID() == 0 || !gone(oldPID) {
		t.Errorf("State %q Restarts %d PID %d (old %d, gone %v)", p.State(), p.Restarts(), p.PID(), oldPID, gone(oldPID))
	}
	select {
	case <-p.Done():
		t.Error("Done closed by a crash that was followed by a restart")
	default:
	}
}

// TestBackoffAndWindow: the delay doubles per counted crash up to MaxDelay
// and crashes older than the window stop counting (fake time moves only in
// the backoffs: crashes at 0, 1, 3, 6 and 8 s).
func TestBackoffAndWindow(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := helperSpec(t, "serve")
		spec.Restart = RestartPolicy{Delay: time.Second, MaxDelay: 3 * time.Second, CrashWindow: 4 * time.Second}
		hook, restarts := onRestart()
		spec.OnRestart = hook
		p := launch(t, spec)
		chain := chainOf(p)
		for i, want := range []time.Duration{
			time.Second,
			2 * time.Second,
			3 * time.Second, // 4 s capped at MaxDelay
			2 * time.Second, // the crashes at 0 and 1 s left the window
			2 * time.Second, // and the one at 3 s
		} {
			at := crashed(t, p)
			// The supervisor is blocked in its backoff: the plugin is down.
			_, err := chain.Tip(ctx30(t))
			wantNotRunning(t, err)
			if s := p.State(); s != StateRestarting {
				t.Errorf("crash %d: state %q during backoff", i+1, s)
			}
			if got := restartedAfter(t, restarts, at); got != want {
				t.Errorf("crash %d: restarted after %s, want %s", i+1, got, want)
			}
			if _, err := chain.Tip(ctx30(t)); err != nil || p.State() != StateRunning || p.Restarts() != int64(i+1) {
				t.Fatalf("after restart %d: Tip %v, state %q, restarts %d", i+1, err, p.State(), p.Restarts())
			}
		}
		// Now (10 s) only the crash at 8 s is within the window.
		if n := p.Crashes(); n != 1 {
			t.Errorf("Crashes %d, want 1 in the window", n)
		}
	})
}

// TestBreakerOpens: the CrashLimit-th crash within the window opens the
// breaker: no further restart, Done closed, an error log with the plugin's
// last stderr lines.
func TestBreakerOpens(t *testing.T) {
	bubble(t, func(t *testing.T) {
		rec := &records{}
		spec := helperSpec(t, "serve")
		spec.Logger = slog.New(rec)
		spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 3, CrashWindow: time.Hour}
		hook, restarts := onRestart()
		spec.OnRestart = hook
		p := launch(t, spec)
		for i := range 2 {
			restartedAfter(t, restarts, crashed(t, p))
			if p.Restarts() != int64(i+1) {
				t.Fatalf("Restarts %d after crash %d", p.Restarts(), i+1)
			}
		}
		crashed(t, p)
		waitDone(t, p)
		if p.State() != StateFailed || p.Restarts() != 2 || !strings.Contains(p.Err().Error(), "3 crashes within 1h0m0s") {
			t.Errorf("State %q Restarts %d Err %v; want failed after 2 restarts, breaker", p.State(), p.Restarts(), p.Err())
		}
		_, err := chainOf(p).Tip(ctx30(t))
		wantNotRunning(t, err)
		lvl, stderr, ok := rec.attr("crash-loop breaker", "stderr")
		if !ok || lvl != slog.LevelError || !strings.Contains(stderr, "helper configured with") {
			t.Errorf("breaker log: found %v, level %v, stderr %q; want an error with the plugin's last stderr lines", ok, lvl, stderr)
		}
		synctest.Wait()
		if len(restarts) != 0 {
			t.Error("restarted after the breaker opened")
		}
	})
}

// TestFailedRestartsOpenBreaker: a restart whose process dies before the
// handshake counts as a crash (and doubles the next delay), and the
// breaker log carries its stderr.
func TestFailedRestartsOpenBreaker(t *testing.T) {
	bubble(t, func(t *testing.T) {
		rec := &records{}
		spec, setMode := modeFile(t, helperSpec(t, ""), "serve")
		spec.Logger = slog.New(rec)
		spec.Restart = RestartPolicy{Delay: time.Second, MaxDelay: time.Minute, CrashLimit: 3}
		p := launch(t, spec)
		setMode("crash")
		at := crashed(t, p)
		waitDone(t, p)
		// Backoffs of 1 s and 2 s, then the third crash opens the breaker.
		if got := time.Since(at); got != 3*time.Second {
			t.Errorf("breaker opened %s after the crash, want 3s (backoffs 1s + 2s)", got)
		}
		err := p.Err()
		if p.State() != StateFailed || p.Restarts() != 0 || err == nil ||
			!strings.Contains(err.Error(), "3 crashes ever") || !strings.Contains(err.Error(), "exited before the handshake") {
			t.Errorf("State %q Restarts %d Err %v", p.State(), p.Restarts(), err)
		}
		if _, stderr, ok := rec.attr("crash-loop breaker", "stderr"); !ok || !strings.Contains(stderr, "cannot open datadir") {
			t.Errorf("breaker log stderr %q (found %v), want the failed start's stderr", stderr, ok)
		}
	})
}

// TestRestartRefused: a restart is refused for good (no retry) when the
// pinned binary changed or the Setup.Ready hook refuses the new process
// (pluginhost.Refuse: the chain role's genesis check).
func TestRestartRefused(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, refuse *bool, bin string)
		want   string
	}{
		{"ready refuses", func(t *testing.T, refuse *bool, _ string) { *refuse = true }, "refused by the test"},
		{"binary replaced", func(t *testing.T, _ *bool, bin string) { replaceBinary(t, bin) }, "checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				spec := helperSpec(t, "serve")
				spec.Path = copyBinary(t)
				spec.SHA256 = fileSHA256(spec.Path)
				spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 100}
				refuse, readies := false, 0
				spec.Ready = func(context.Context, Conn, sdk.Description) error {
					readies++
					if refuse {
						return Refuse(errors.New("refused by the test"))
					}
					return nil
				}
				p := launch(t, spec)
				tt.change(t, &refuse, spec.Path)
				crashed(t, p)
				waitDone(t, p)
				if p.State() != StateFailed || p.Restarts() != 0 || p.Err() == nil || !strings.Contains(p.Err().Error(), tt.want) {
					t.Errorf("State %q Restarts %d Err %v; want failed, %q", p.State(), p.Restarts(), p.Err(), tt.want)
				}
				if want := map[bool]int{true: 2, false: 1}[refuse]; readies != want {
					t.Errorf("Ready ran %d times, want %d", readies, want)
				}
				_, err := chainOf(p).Tip(ctx30(t))
				wantNotRunning(t, err)
			})
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
	bubble(t, func(t *testing.T) {
		spec := helperSpec(t, "serve")
		spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 5}
		hook, restarts := onRestart()
		spec.OnRestart = hook
		p := launch(t, spec)
		crashed(t, p)
		if p.State() != StateRestarting {
			t.Errorf("state %q during backoff", p.State())
		}
		if err := p.Shutdown(ctx30(t)); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		time.Sleep(time.Minute) // long past the backoff
		waitDone(t, p)
		if p.State() != StateStopped || p.Restarts() != 0 || p.PID() != 0 || len(restarts) != 0 {
			t.Errorf("State %q Restarts %d PID %d hooks %d after Shutdown", p.State(), p.Restarts(), p.PID(), len(restarts))
		}
		_, err := chainOf(p).Tip(ctx30(t))
		wantNotRunning(t, err)
	})
}

// TestShutdownNotACrash: a plugin stopped by Shutdown is not restarted.
func TestShutdownNotACrash(t *testing.T) {
	bubble(t, func(t *testing.T) {
		spec := helperSpec(t, "serve")
		spec.Restart = RestartPolicy{Delay: time.Second}
		hook, restarts := onRestart()
		spec.OnRestart = hook
		p := launch(t, spec)
		pid := p.PID()
		if err := p.Shutdown(ctx30(t)); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		time.Sleep(time.Minute)
		if p.State() != StateStopped || !gone(pid) || p.Err() != nil || len(restarts) != 0 {
			t.Errorf("State %q, process gone %v, Err %v, hooks %d after Shutdown", p.State(), gone(pid), p.Err(), len(restarts))
		}
	})
}

// TestLargeMessages: both sides accept messages above gRPC's default 4 MiB
// (the reply of Transaction, the request of Broadcast), up to
// sdk.MaxMessageSize.
func TestLargeMessages(t *testing.T) {
	p := launch(t, helperSpec(t, "big"))
	raw := bigTx()
	js, err := chainOf(p).Transaction(ctx30(t), doubleSHA256(raw), false)
	if err != nil || len(js) != 2*len(raw)+2 {
		t.Errorf("Transaction of a %d-byte tx: %d bytes, %v", len(raw), len(js), err)
	}
	txid, err := chainOf(p).Broadcast(ctx30(t), hex.EncodeToString(raw))
	if err != nil || txid != doubleSHA256(raw).String() {
		t.Errorf("Broadcast of a %d-byte tx: %q, %v", len(raw), txid, err)
	}
}

func doubleSHA256(b []byte) sdk.Hash {
	first := sha256.Sum256(b)
	return sdk.Hash(sha256.Sum256(first[:]))
}
