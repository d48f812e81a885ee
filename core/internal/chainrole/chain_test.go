package chainrole

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// helperEnv names the file the re-executed test binary reads its mode from
// at each start ("serve", or "genesis2": another chain), so that a test can
// change what a restarted plugin does.
const helperEnv = "AMBER_CHAINROLE_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			panic(err)
		}
		fake := sdktest.NewFake(5)
		if strings.TrimSpace(string(b)) == "genesis2" {
			fake.Desc.GenesisHash = sdk.Hash{0xee}
		}
		sdk.Serve(urlFake{fake})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// urlFake reports the last SetDaemonURLs in DaemonInfo's Subversion.
type urlFake struct{ *sdktest.Fake }

func (f urlFake) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	info, err := f.Fake.DaemonInfo(ctx)
	f.Lock()
	defer f.Unlock()
	info.Subversion = "urls=" + strings.Join(f.URLs, ",")
	return info, err
}

// fakeGenesis is the genesis block sdktest's fake chain reports.
var fakeGenesis = sdktest.NewFake(5).Desc.GenesisHash

// start launches the helper as a chain backend for genesis; setMode changes
// what the next start does. restarted receives a value per restart.
func start(t *testing.T, genesis sdk.Hash) (b *Backend, setMode func(string), restarted <-chan struct{}, err error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	modePath := filepath.Join(t.TempDir(), "mode")
	setMode = func(m string) {
		if err := os.WriteFile(modePath, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setMode("serve")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := pluginhost.Start(ctx, pluginhost.Spec{
		Name: "mydaemon", Path: exe, Env: []string{helperEnv + "=" + modePath},
		ConfigKey: "plugins.mydaemon.path", Logger: slog.New(slog.DiscardHandler),
		Restart: pluginhost.RestartPolicy{Delay: time.Millisecond, CrashLimit: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	ch := make(chan struct{}, 8)
	b = New(p, Options{Genesis: genesis, Network: "regtest"})
	err = p.Configure(ctx, pluginhost.Setup{Ready: b.Ready, OnRestart: func(*pluginhost.Plugin) { ch <- struct{}{} }})
	return b, setMode, ch, err
}

func ctx30(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func kill(t *testing.T, b *Backend) {
	t.Helper()
	if err := syscall.Kill(b.Plugin().PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// TestConformOverProcess runs the SDK conformance suite against the chain
// role adapter over a plugin process.
func TestConformOverProcess(t *testing.T) {
	b, _, _, err := start(t, fakeGenesis)
	if err != nil {
		t.Fatal(err)
	}
	sdktest.ConformChain(t, b)
}

// TestGenesisMismatchAtStart: a daemon on another network stops start-up
// with an error naming the plugin, both genesis blocks and the config key.
func TestGenesisMismatchAtStart(t *testing.T) {
	_, _, _, err := start(t, sdk.Hash{0x01})
	if err == nil {
		t.Fatal("Configure succeeded")
	}
	for _, w := range []string{`plugin "mydaemon"`, fakeGenesis.String(), `net "regtest" (config key net)`, "wrong daemon_url or net"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\nlacks %q", err, w)
		}
	}
}

// TestRestartReplaysURLs: a restarted plugin gets the daemon URLs set at
// run time before any call reaches it, through the same adapter.
func TestRestartReplaysURLs(t *testing.T) {
	b, _, restarted, err := start(t, fakeGenesis)
	if err != nil {
		t.Fatal(err)
	}
	urls := []string{"http://127.0.0.1:18443", "http://127.0.0.1:18444"}
	if err := b.SetDaemonURLs(ctx30(t), urls); err != nil {
		t.Fatal(err)
	}
	kill(t, b)
	select {
	case <-restarted:
	case <-ctx30(t).Done():
		t.Fatal("no restart")
	}
	info, err := b.DaemonInfo(ctx30(t))
	if err != nil || info.Subversion != "urls="+strings.Join(urls, ",") {
		t.Errorf("restarted plugin's daemon URLs: %q, %v; want %q", info.Subversion, err, urls)
	}
}

// TestRestartOtherGenesisRefused: a restarted plugin that reports another
// genesis block is refused for good (no retry): the plugin is failed and
// calls answer "not running".
func TestRestartOtherGenesisRefused(t *testing.T) {
	b, setMode, restarted, err := start(t, fakeGenesis)
	if err != nil {
		t.Fatal(err)
	}
	p := b.Plugin()
	setMode("genesis2")
	kill(t, b)
	select {
	case <-p.Done():
	case <-ctx30(t).Done():
		t.Fatal("the plugin was not failed")
	}
	if p.State() != pluginhost.StateFailed || p.Restarts() != 0 || len(restarted) != 0 ||
		!strings.Contains(p.Err().Error(), "restarted plugin reports genesis block "+sdk.Hash{0xee}.String()) {
		t.Errorf("State %q Restarts %d Err %v; want failed, refused for its genesis block", p.State(), p.Restarts(), p.Err())
	}
	var e *sdk.Error
	if _, err := b.Tip(ctx30(t)); !errors.As(err, &e) || e.Kind != sdk.KindUnavailable {
		t.Errorf("Tip of the refused plugin: %v, want not running", err)
	}
}
