package pluginhost

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// TestStartThenConfigure: Start runs the process and Describe but not
// Configure (the caller picks the role from the capabilities first);
// Configure then configures it, runs Ready on the new process and makes it
// callable and supervised.
func TestStartThenConfigure(t *testing.T) {
	rec := &records{}
	spec := helperSpec(t, "serve")
	spec.Logger = slog.New(rec)
	p, err := Start(ctx30(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if d := p.Describe(); d.Name != "fake" || len(d.Capabilities) == 0 || p.State() != StateStarting || p.PID() == 0 {
		t.Errorf("after Start: Describe %+v, state %q, pid %d", d, p.State(), p.PID())
	}
	if _, ok := rec.find(`helper configured with {"k":1}`); ok {
		t.Error("Start configured the plugin")
	}
	var readyTip sdk.Tip
	err = p.Configure(ctx30(t), Setup{Config: []byte(`{"k":1}`), Ready: func(ctx context.Context, c Conn, d sdk.Description) error {
		var err error
		readyTip, err = c.Chain.Tip(ctx) // the new process, before Call reaches it
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.find(`helper configured with {"k":1}`); !ok || readyTip.Height != 4 || p.State() != StateRunning {
		t.Errorf("after Configure: configured %v, Ready saw tip %d, state %q", ok, readyTip.Height, p.State())
	}
	if tip, err := chainOf(p).Tip(ctx30(t)); err != nil || tip.Height != 4 {
		t.Errorf("Tip through Call: %+v, %v", tip, err)
	}
}

// TestConfigureReadyFails: a Ready error at the first start fails
// Configure, and the process is gone.
func TestConfigureReadyFails(t *testing.T) {
	p, err := Start(ctx30(t), helperSpec(t, "serve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	pid := p.PID()
	err = p.Configure(ctx30(t), Setup{Ready: func(context.Context, Conn, sdk.Description) error {
		return errors.New("wrong network")
	}})
	if err == nil || !strings.Contains(err.Error(), "wrong network") {
		t.Fatalf("Configure: %v, want the Ready error", err)
	}
	if p.State() != StateFailed || !gone(pid) || p.PID() != 0 {
		t.Errorf("after a failed Configure: state %q, process gone %v, PID %d", p.State(), gone(pid), p.PID())
	}
}
