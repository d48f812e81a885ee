package parity

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
)

// TestBannerReloadOnSIGHUP: amberd reads BANNER_FILE at start and again on
// SIGHUP, never per request (issue 11 #7), and substitutes
// $DAEMON_VERSION with 1.20.0's formula.
func TestBannerReloadOnSIGHUP(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := node.Generate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "banner.txt")
	if err := os.WriteFile(file, []byte("one $DAEMON_VERSION"), 0o644); err != nil {
		t.Fatal(err)
	}
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"BANNER_FILE": file}})
	c := harness.Dial(t, a.TCPAddr())
	banner := func() string {
		var b string
		if err := c.CallInto(ctx, &b, "server.banner"); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// btcd v0.24.2 reports version 240200 → "24.2.0".
	if b := banner(); b != "one 24.2.0" {
		t.Fatalf("banner %q, want %q", b, "one 24.2.0")
	}
	if err := os.WriteFile(file, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := banner(); b != "one 24.2.0" {
		t.Fatalf("banner re-read without SIGHUP: %q", b)
	}
	if err := syscall.Kill(a.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for b := banner(); b != "two"; b = banner() {
		select {
		case <-ctx.Done():
			t.Fatalf("banner after SIGHUP: %q", b)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
