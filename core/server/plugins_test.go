package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"

	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/core/internal/roles"
)

// TestPluginRoles: amberd starts the configured plugins and gives each the
// roles its Describe declares, whatever its config name; two chain
// backends, or none, stop start-up with errors naming the plugins; without
// a chain backend and without a plugins.bitcoind block it falls back to the
// bundled amber-bitcoind beside amberd (absent beside the test binary: the
// error shows it was tried).
func TestPluginRoles(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bundled := filepath.Join(filepath.Dir(exe), "amber-bitcoind")
	tests := []struct {
		name    string
		plugins func(t *testing.T) map[string]*config.Plugin
		labels  map[string]string // plugin -> role label
		chain   string
		errs    []string
	}{
		{"default name", func(t *testing.T) map[string]*config.Plugin {
			return map[string]*config.Plugin{"bitcoind": helperBlock(t, "bitcoind", "chain")}
		}, map[string]string{"bitcoind": "chain"}, "bitcoind", nil},
		{"renamed chain block", func(t *testing.T) map[string]*config.Plugin {
			return map[string]*config.Plugin{
				"mydaemon": helperBlock(t, "mydaemon", "chain"),
				"hello":    helperBlock(t, "hello", "methods:"+writeMethods(t, "hello.ping")),
			}
		}, map[string]string{"mydaemon": "chain", "hello": "methods"}, "mydaemon", nil},
		{"chain backend serving methods too", func(t *testing.T) map[string]*config.Plugin {
			return map[string]*config.Plugin{"node": helperBlock(t, "node", "chain+methods")}
		}, map[string]string{"node": "chain,methods"}, "node", nil},
		{"two chain backends", func(t *testing.T) map[string]*config.Plugin {
			return map[string]*config.Plugin{
				"bitcoind": helperBlock(t, "bitcoind", "chain"),
				"mydaemon": helperBlock(t, "mydaemon", "chain"),
			}
		}, nil, "", []string{`plugins "bitcoind" (plugins.bitcoind, ` + exe + `) and "mydaemon" (plugins.mydaemon, ` + exe + `)`,
			`"chain-backend"`}},
		{"plugins.bitcoind without the capability", func(t *testing.T) map[string]*config.Plugin {
			return map[string]*config.Plugin{"bitcoind": helperBlock(t, "bitcoind", "methods:"+writeMethods(t, "x.y"))}
		}, nil, "", []string{`no plugin declares the "chain-backend" capability`, `"bitcoind" (plugins.bitcoind, ` + exe + `)`}},
		{"no chain backend: the bundled one is tried", func(t *testing.T) map[string]*config.Plugin {
			return map[string]*config.Plugin{"hello": helperBlock(t, "hello", "methods:"+writeMethods(t, "hello.ping"))}
		}, nil, "", []string{`plugin "bitcoind": binary not found at ` + bundled + ` (set plugins.bitcoind.path)`}},
		{"no plugins: the bundled one is tried", func(t *testing.T) map[string]*config.Plugin { return nil },
			nil, "", []string{`binary not found at ` + bundled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testServer(t, tt.plugins(t))
			err := s.startPlugins(ctx30(t), pluginhost.Start)
			if tt.errs != nil {
				if err == nil {
					t.Fatal("start-up succeeded")
				}
				for _, w := range tt.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nlacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.labels {
				if got := s.roster.roles.Label(name); got != want {
					t.Errorf("role of %s: %q, want %q", name, got, want)
				}
			}
			if got := s.roster.roles.Holder(roles.Chain); got != tt.chain {
				t.Errorf("chain backend %q, want %q", got, tt.chain)
			}
			if err := s.configureChain(ctx30(t)); err != nil {
				t.Fatal(err)
			}
			if got := s.allPlugins()[0].Name(); got != tt.chain {
				t.Errorf("allPlugins starts with %q, want the chain backend %q", got, tt.chain)
			}
			// The chain backend got daemon_url and network added to its block.
			info, err := s.roster.chain.DaemonInfo(ctx30(t))
			var got map[string]any
			if err != nil || json.Unmarshal([]byte(info.Subversion), &got) != nil ||
				got["daemon_url"] != s.cfg.DaemonURL || got["network"] != "regtest" {
				t.Errorf("chain backend configured with %q (%v), want daemon_url and network", info.Subversion, err)
			}
		})
	}
}

// TestChainBlockConfigWins: keys set in the chain backend's config block
// are not overridden by daemon_url and net.
func TestChainBlockConfigWins(t *testing.T) {
	b := helperBlock(t, "mydaemon", "chain")
	b.Config = map[string]any{"daemon_url": "other@127.0.0.1:1", "rpc_timeout": "5s"}
	s := testServer(t, map[string]*config.Plugin{"mydaemon": b})
	if err := s.startPlugins(ctx30(t), pluginhost.Start); err != nil {
		t.Fatal(err)
	}
	if err := s.configureChain(ctx30(t)); err != nil {
		t.Fatal(err)
	}
	info, err := s.roster.chain.DaemonInfo(ctx30(t))
	var got map[string]any
	if err != nil || json.Unmarshal([]byte(info.Subversion), &got) != nil ||
		got["daemon_url"] != "other@127.0.0.1:1" || got["rpc_timeout"] != "5s" || got["network"] != "regtest" {
		t.Errorf("chain backend configured with %q (%v)", info.Subversion, err)
	}
}

// TestChainOnWrongNetwork: a chain backend on another network stops
// start-up, naming the config key net.
func TestChainOnWrongNetwork(t *testing.T) {
	s := testServer(t, map[string]*config.Plugin{"mydaemon": helperBlock(t, "mydaemon", "chain")})
	s.cfg.Network.GenesisHash[0] ^= 0xff
	if err := s.startPlugins(ctx30(t), pluginhost.Start); err != nil {
		t.Fatal(err)
	}
	err := s.configureChain(ctx30(t))
	if err == nil || !strings.Contains(err.Error(), `plugin "mydaemon": the daemon's genesis block`) ||
		!strings.Contains(err.Error(), "(config key net)") {
		t.Errorf("configure on the wrong network: %v", err)
	}
}

// writeMethods writes the method names a "methods:FILE" helper serves.
func writeMethods(t *testing.T, names ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "methods")
	setMethods(t, path, names...)
	return path
}

func setMethods(t *testing.T, path string, names ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(names, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A config whose only block is a renamed chain backend starts with it as
// the chain, through config.Load: the plugins.bitcoind block that Load
// always adds is implicit and is not started beside it.
func TestRenamedChainThroughConfigLoad(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fs := afero.NewMemMapFs()
	yaml := "plugins:\n  mydaemon:\n    path: " + exe + "\n    env:\n      " + helperEnv + ": chain\n"
	if err := afero.WriteFile(fs, "/amberd.yaml", []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(t.Context(), config.LoadOptions{Fs: fs, Args: []string{"--config=/amberd.yaml"},
		Environ: []string{"AMBER_DB_DIRECTORY=/db", "AMBER_DAEMON_URL=u:p@127.0.0.1:18443"}})
	if err != nil {
		t.Fatal(err)
	}
	if pc := cfg.Plugins[DefaultChainPlugin]; pc == nil || !pc.Implicit {
		t.Fatalf("plugins.bitcoind after Load: %+v, want an implicit block", pc)
	}
	s := testServer(t, cfg.Plugins)
	if err := s.startPlugins(ctx30(t), pluginhost.Start); err != nil {
		t.Fatal(err)
	}
	if got := s.roster.roles.Label("mydaemon"); got != "chain" {
		t.Fatalf("mydaemon's role %q, want chain", got)
	}
	if p := s.roster.byName(DefaultChainPlugin); p != nil {
		t.Fatalf("the implicit plugins.bitcoind block was started (%s)", p.Path())
	}
}
