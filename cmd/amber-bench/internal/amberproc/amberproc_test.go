package amberproc

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnv(t *testing.T) {
	base := Config{Path: "/bin", Home: "/root", DaemonURL: "u:p@127.0.0.1:1", DBDir: "/tmp/db",
		TCPAddr: "127.0.0.1:2", RPCAddr: "127.0.0.1:3"}
	for _, tc := range []struct {
		name    string
		mod     func(c *Config)
		has     []string
		hasNot  []string
		wantLen int
	}{
		{"defaults", func(*Config) {},
			[]string{"PATH=/bin", "HOME=/root", "COIN=Bitcoin", "NET=regtest", "DB_DIRECTORY=/tmp/db",
				"DAEMON_URL=u:p@127.0.0.1:1", "SERVICES=tcp://127.0.0.1:2,rpc://127.0.0.1:3", "ALLOW_ROOT=true",
				"PEER_DISCOVERY=off", "PEER_ANNOUNCE=false", "LOG_LEVEL=info"},
			[]string{"AMBER_PLUGINS__BITCOIND__PATH", "AMBER_METRICS_LISTEN", "AMBER_METRICS_PPROF"}, 11},
		{"plugin and metrics", func(c *Config) { c.Plugin, c.Metrics, c.Net = "/x/amber-bitcoind", "127.0.0.1:9", "testnet" },
			[]string{"AMBER_PLUGINS__BITCOIND__PATH=/x/amber-bitcoind", "AMBER_METRICS_LISTEN=127.0.0.1:9",
				"AMBER_METRICS_PPROF=true", "NET=testnet"}, nil, 14},
		{"extra overrides and removes", func(c *Config) {
			c.Extra = map[string]string{"LOG_LEVEL": "debug", "AMBER_CACHE_MB": "300", "PEER_ANNOUNCE": ""}
		}, []string{"LOG_LEVEL=debug", "AMBER_CACHE_MB=300"}, []string{"PEER_ANNOUNCE", "LOG_LEVEL=info"}, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			env := Env(c)
			if !slices.IsSorted(env) || len(env) != tc.wantLen {
				t.Fatalf("env (%d, want %d, sorted?) %v", len(env), tc.wantLen, env)
			}
			for _, h := range tc.has {
				if !slices.Contains(env, h) {
					t.Errorf("missing %s in %v", h, env)
				}
			}
			for _, h := range tc.hasNot {
				for _, e := range env {
					if strings.HasPrefix(e, h) {
						t.Errorf("unexpected %s in %v", e, env)
					}
				}
			}
		})
	}
}

func TestParseAssignments(t *testing.T) {
	m, err := ParseAssignments([]string{"A=1", "B=x=y", "A=2", "C="})
	if err != nil || len(m) != 3 || m["A"] != "2" || m["B"] != "x=y" || m["C"] != "" {
		t.Fatalf("%v, %v", m, err)
	}
	for _, bad := range []string{"A", "=1", "A B=1"} {
		if _, err := ParseAssignments([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseInfo(t *testing.T) {
	raw := json.RawMessage(`{"coin":"BitcoinSegwit","db height":1500,"daemon height":1501,"pid":42,
	  "amber":{"sync":{"synced":true,"halted":false,"error":"","db height":1500},
	  "plugins":[{"name":"feeest","pid":7,"state":"running"},{"name":"bitcoind","pid":43,"state":"running"}]}}`)
	i, err := ParseInfo(raw)
	if err != nil {
		t.Fatal(err)
	}
	if i.PID != 42 || i.DBHeight != 1500 || i.DaemonHeight != 1501 || !i.Synced || i.Halted || i.ChainPlugin() != 43 || len(i.Plugins) != 2 {
		t.Fatalf("%+v", i)
	}
	one := Info{Plugins: []PluginInfo{{Name: "other", PID: 5}}}
	if one.ChainPlugin() != 5 || (Info{}).ChainPlugin() != 0 {
		t.Fatal("ChainPlugin fallback")
	}
	// With capabilities reported, the chain backend wins over the name.
	byCap := Info{Plugins: []PluginInfo{{Name: "bitcoind", Capabilities: []string{"method-provider"}, PID: 8},
		{Name: "mydaemon", Capabilities: []string{"chain-backend"}, PID: 9}}}
	if byCap.ChainPlugin() != 9 {
		t.Fatalf("chain backend: pid %d, want 9", byCap.ChainPlugin())
	}
	if _, err := ParseInfo(json.RawMessage(`[1]`)); err == nil {
		t.Fatal("an array parsed as getinfo")
	}
}

// A non-empty database directory is refused; a missing binary fails Start.
func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(ctx, Options{Amberd: "/bin/true", DaemonURL: "u:p@127.0.0.1:1", DBDir: dir}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Start(ctx, Options{Amberd: filepath.Join(dir, "missing"), DaemonURL: "u:p@127.0.0.1:1"}); err == nil {
		t.Fatal("started a missing binary")
	}
	if _, err := Start(ctx, Options{DaemonURL: "u:p@127.0.0.1:1"}); err == nil {
		t.Fatal("started without a binary")
	}
}

// A process that exits at once: Info reports the exit, Stop is clean,
// Remove deletes the temporary directory.
func TestExitedProcess(t *testing.T) {
	p, err := Start(context.Background(), Options{Amberd: "/bin/true", DaemonURL: "u:p@127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("/bin/true did not exit")
	}
	if _, err := p.Info(context.Background()); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("Info err = %v", err)
	}
	if err := p.Stop(time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !slices.Contains(p.Environ(), "DB_DIRECTORY="+p.DBDir()) {
		t.Fatalf("env %v", p.Environ())
	}
	p.Remove()
	if _, err := os.Stat(p.DBDir()); !os.IsNotExist(err) {
		t.Fatalf("db dir left: %v", err)
	}
}
