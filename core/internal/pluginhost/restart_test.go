package pluginhost

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// TestRestartClearsBreaker: a plugin whose crash-loop breaker opened is
// brought back by Restart: the crash count is cleared, the same adapter
// works again, Done is open again, the last error stays visible, and the
// supervisor restarts the revived plugin after its next crash.
func TestRestartClearsBreaker(t *testing.T) {
	bubble(t, testRestartClearsBreaker)
}

func testRestartClearsBreaker(t *testing.T) {
	spec, setMode := modeFile(t, helperSpec(t, ""), "serve")
	spec.Restart = RestartPolicy{Delay: time.Second, CrashLimit: 2}
	hook, restarts := onRestart()
	spec.OnRestart = hook
	p := launch(t, spec)
	if p.Path() != spec.Path || p.LastError() != "" {
		t.Errorf("Path %q LastError %q", p.Path(), p.LastError())
	}
	setMode("crash")
	crashed(t, p) // the restart after the backoff crashes: the 2nd crash opens the breaker
	waitDone(t, p)
	if p.State() != StateFailed || p.Crashes() != 2 || !strings.Contains(p.LastError(), "crash-loop breaker") {
		t.Fatalf("State %q Crashes %d LastError %q; want failed by the breaker", p.State(), p.Crashes(), p.LastError())
	}

	// Still broken: Restart reports the failed start and leaves it failed.
	err := p.Restart(ctx30(t))
	if err == nil || !strings.Contains(err.Error(), "exited before the handshake") || p.State() != StateFailed {
		t.Fatalf("Restart of a still-crashing plugin: %v, state %q", err, p.State())
	}
	waitDone(t, p)

	setMode("serve")
	if err := p.Restart(ctx30(t)); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if p.State() != StateRunning || p.Err() != nil || p.Crashes() != 0 || p.Restarts() != 1 || len(restarts) != 1 {
		t.Errorf("after Restart: State %q Err %v Crashes %d Restarts %d hook %d", p.State(), p.Err(), p.Crashes(), p.Restarts(), len(restarts))
	}
	if !strings.Contains(p.LastError(), "exited before the handshake") {
		t.Errorf("LastError %q, want the last failure kept", p.LastError())
	}
	if _, err := chainOf(p).Tip(ctx30(t)); err != nil {
		t.Errorf("Tip after Restart: %v", err)
	}
	select {
	case <-p.Done():
		t.Error("Done still closed after Restart")
	default:
	}
	// Supervision resumed: a crash is restarted again.
	<-restarts // the operator's restart
	if got := restartedAfter(t, restarts, crashed(t, p)); got != time.Second {
		t.Errorf("supervisor restarted %s after the crash, want the 1s delay", got)
	}
	if p.Restarts() != 2 || p.State() != StateRunning {
		t.Errorf("Restarts %d State %q after the supervisor's restart", p.Restarts(), p.State())
	}
	if p.Crashes() != 1 {
		t.Errorf("Crashes %d after one crash since Restart", p.Crashes())
	}
}

// TestRestartRunning: Restart replaces a running plugin's process.
func TestRestartRunning(t *testing.T) {
	p := launch(t, helperSpec(t, "serve"))
	old := p.PID()
	if err := p.Restart(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	if p.PID() == old || p.PID() == 0 || !gone(old) || p.State() != StateRunning || p.Restarts() != 1 {
		t.Errorf("PID %d (old %d, gone %v) State %q Restarts %d", p.PID(), old, gone(old), p.State(), p.Restarts())
	}
	if _, err := chainOf(p).Tip(ctx30(t)); err != nil {
		t.Errorf("Tip after Restart: %v", err)
	}
}

// TestRestartAfterShutdown: a stopped plugin stays stopped.
func TestRestartAfterShutdown(t *testing.T) {
	p := launch(t, helperSpec(t, "serve"))
	if err := p.Shutdown(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(ctx30(t)); err == nil || !strings.Contains(err.Error(), "stopped") || p.State() != StateStopped {
		t.Errorf("Restart after Shutdown: %v, state %q", err, p.State())
	}
	var e *sdk.Error
	if _, err := chainOf(p).Tip(ctx30(t)); !errors.As(err, &e) {
		t.Errorf("Tip after Shutdown: %v", err)
	}
}
