package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/regtest"
)

func TestParseServices(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []service
		err  bool
	}{
		{"tcp://127.0.0.1:50001,ws://127.0.0.1:50003,rpc://127.0.0.1:8000",
			[]service{{"tcp", "127.0.0.1", 50001}, {"ws", "127.0.0.1", 50003}, {"rpc", "127.0.0.1", 8000}}, false},
		{"tcp://:5, SSL://[::1]:6 ,", []service{{"tcp", "", 5}, {"ssl", "::1", 6}}, false},
		{"rpc://", []service{{"rpc", "", 8000}}, false},
		{"tcp://localhost", []service{{"tcp", "localhost", 50001}}, false},
		{"", nil, false},
		{"http://x:1", nil, true},
		{"tcp://x:0", nil, true},
		{"tcp://x:99999", nil, true},
		{"127.0.0.1:50001", nil, true},
	} {
		got, err := parseServices(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseServices(%q) = %v, %v; want %v err=%v", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil && len(got) > 0 {
			again, err := parseServices(joinServices(got))
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip of %q: %v, %v", tc.in, again, err)
			}
		}
	}
}

func TestParseDaemonURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want daemonAddr
		err  bool
	}{
		{"amber:amber@127.0.0.1:18556", daemonAddr{"amber", "amber", "127.0.0.1", 18556}, false},
		{"http://u:p@h:1/, u2:p2@h2:2", daemonAddr{"u", "p", "h", 1}, false},
		{"u:p@h", daemonAddr{"u", "p", "h", btcdRegtestRPCPort}, false},
		{"h:1", daemonAddr{}, true},
		{":p@h:1", daemonAddr{}, true},
		{"u:p@h:x", daemonAddr{}, true},
	} {
		got, err := parseDaemonURL(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseDaemonURL(%q) = %+v, %v; want %+v err=%v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParseServices(f *testing.F) {
	for _, s := range []string{"tcp://127.0.0.1:50001,rpc://", "ws://[::1]:1", "x", "tcp://:", "tcp://[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ss, err := parseServices(in)
		if err != nil {
			return
		}
		for _, s := range ss {
			if s.Port <= 0 || s.Port > 65535 {
				t.Fatalf("parseServices(%q): port %d", in, s.Port)
			}
		}
		_, _ = parseDaemonURL(in)
	})
}

// TestPortPicker: a free configured port is kept, a held one or one handed
// out before is replaced by a free one.
func TestPortPicker(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	busy := held.Addr().(*net.TCPAddr).Port
	free, err := regtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	pp := newPortPicker(slog.New(slog.NewTextHandler(&logs, nil)))
	if got, err := pp.pick("a", "127.0.0.1", free); err != nil || got != free {
		t.Errorf("free port %d: got %d, %v", free, got, err)
	}
	got, err := pp.pick("b", "127.0.0.1", busy)
	if err != nil || got == busy || got == free || got == 0 {
		t.Errorf("busy port %d: got %d, %v", busy, got, err)
	}
	if again, _ := pp.pick("c", "127.0.0.1", free); again == free {
		t.Errorf("port %d handed out twice", free)
	}
	if !strings.Contains(logs.String(), "is in use") {
		t.Errorf("no warning logged: %s", logs.String())
	}
}

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte("net: regtest\nservices: [\"tcp://:1\", \"rpc://:2\"]\nplugins:\n  feeest:\n    config: {source: mempool}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.str("services"); got != "tcp://:1,rpc://:2" {
		t.Errorf("services list: %q", got)
	}
	cfg.addPlugin("feeest", "/bin/amber-feeest")
	cfg.addPlugin("hello-method", "/bin/hello-method")
	out := filepath.Join(dir, "out.yaml")
	if err := cfg.write(out); err != nil {
		t.Fatal(err)
	}
	back, err := loadConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	plugins := back["plugins"].(map[string]any)
	fe := plugins["feeest"].(map[string]any)
	if fe["path"] != "/bin/amber-feeest" || fe["config"].(map[string]any)["source"] != "mempool" ||
		plugins["hello-method"].(map[string]any)["path"] != "/bin/hello-method" {
		t.Errorf("plugins after round trip: %v", plugins)
	}
}

func TestPluginBinary(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"amber-history", "hello-method", "amberd"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := pluginBinary(dir, "history"); err != nil || filepath.Base(p) != "amber-history" {
		t.Errorf("history: %q, %v", p, err)
	}
	if p, err := pluginBinary(dir, "hello-method"); err != nil || filepath.Base(p) != "hello-method" {
		t.Errorf("hello-method: %q, %v", p, err)
	}
	_, err := pluginBinary(dir, "nope")
	if err == nil || !strings.Contains(err.Error(), "history, hello-method") {
		t.Errorf("missing plugin: %v", err)
	}
}

func TestParseFlagsPlugins(t *testing.T) {
	o, err := parseFlags([]string{"-plugins", "history, feeest,,hello-method"}, io.Discard)
	if err != nil || !reflect.DeepEqual(o.plugins, []string{"history", "feeest", "hello-method"}) {
		t.Errorf("plugins %q, %v", o.plugins, err)
	}
	if _, err := parseFlags([]string{"-plugins", "a.b"}, io.Discard); err == nil {
		t.Error("bad plugin name accepted")
	}
}
