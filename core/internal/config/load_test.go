package config

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name                   string
		fileLine, env, flag    string
		get                    func(*Config) any
		def, file, envV, flagV any
	}{
		{"max_send", "max_send: 400000", "AMBER_MAX_SEND=500000", "--max-send=600000",
			func(c *Config) any { return c.MaxSend }, 1_000_000, 400_000, 500_000, 600_000},
		{"request_timeout", "request_timeout: 10", "AMBER_REQUEST_TIMEOUT=20s", "--request-timeout=1m",
			func(c *Config) any { return c.RequestTimeout }, 30 * time.Second, 10 * time.Second, 20 * time.Second, time.Minute},
		{"log_level", "log_level: debug", "AMBER_LOG_LEVEL=warn", "--log-level=error",
			func(c *Config) any { return c.LogLevel }, "info", "debug", "warn", "error"},
		{"allow_root", "allow_root: true", "AMBER_ALLOW_ROOT=off", "--allow-root",
			func(c *Config) any { return c.AllowRoot }, false, true, false, true},
		{"plugin path", "plugins: {bitcoind: {path: /f}}", "AMBER_PLUGINS__BITCOIND__PATH=/e", "--plugin-bitcoind-path=/g",
			func(c *Config) any { return c.Plugins["bitcoind"].Path }, "", "/f", "/e", "/g"},
		{"electrumx name", "max_recv: 400000", "MAX_RECV=500000", "--max-recv=600000",
			func(c *Config) any { return c.MaxRecv }, 1_000_000, 400_000, 500_000, 600_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"/a.yaml": tc.fileLine + "\n"}
			stages := []struct {
				stage string
				env   []string
				args  []string
				want  any
			}{
				{"default", required, nil, tc.def},
				{"file", append([]string{"AMBER_CONFIG=/a.yaml"}, required...), nil, tc.file},
				{"env", append([]string{"AMBER_CONFIG=/a.yaml", tc.env}, required...), nil, tc.envV},
				{"flag", append([]string{tc.env}, required...), []string{"--config", "/a.yaml", tc.flag}, tc.flagV},
			}
			for _, s := range stages {
				c := mustLoad(t, files, s.env, s.args...)
				if got := tc.get(c); !reflect.DeepEqual(got, s.want) {
					t.Errorf("%s: got %v, want %v", s.stage, got, s.want)
				}
			}
		})
	}
}

func TestAmberEnvBeatsElectrumXName(t *testing.T) {
	c := mustLoad(t, nil, append([]string{"CACHE_MB=10", "AMBER_CACHE_MB=20"}, required...))
	if c.CacheMB != 20 {
		t.Errorf("CacheMB = %d, want 20", c.CacheMB)
	}
}

func TestFileFormats(t *testing.T) {
	var configs []*Config
	for _, name := range []string{"full.yaml", "full.toml"} {
		t.Run(name, func(t *testing.T) {
			body := readTestdata(t, name)
			c := mustLoad(t, map[string]string{"/etc/" + name: body}, nil, "--config=/etc/"+name)
			if c.Network.Name != "testnet4" || c.Coin != "Bitcoin" {
				t.Errorf("network = %s", c.Network)
			}
			if want := []string{"u:p@127.0.0.1:48332", "u:p@127.0.0.1:48333"}; !reflect.DeepEqual(c.DaemonURLs, want) {
				t.Errorf("DaemonURLs = %q, want %q", c.DaemonURLs, want)
			}
			if c.MaxSend != minMaxSend {
				t.Errorf("MaxSend = %d, want it raised to %d", c.MaxSend, minMaxSend)
			}
			if c.RequestSleep != 1500*time.Millisecond || c.RequestTimeout != time.Minute {
				t.Errorf("RequestSleep %v RequestTimeout %v", c.RequestSleep, c.RequestTimeout)
			}
			if !c.AllowRoot || c.PeerDiscovery != "self" || c.LogLevel != "warn" {
				t.Errorf("AllowRoot %v PeerDiscovery %q LogLevel %q", c.AllowRoot, c.PeerDiscovery, c.LogLevel)
			}
			if c.ReorgLimit != 8000 {
				t.Errorf("ReorgLimit = %d, want testnet default 8000", c.ReorgLimit)
			}
			p := c.Plugins["bitcoind"]
			if p.Path != "/opt/amber/amber-bitcoind" || p.StartTimeout != 90*time.Second ||
				!reflect.DeepEqual(p.Args, []string{"-v", "--x=1"}) ||
				!reflect.DeepEqual(p.Env, map[string]string{"RUST_LOG": "debug", "LIMIT": "5"}) {
				t.Errorf("bitcoind plugin = %+v", p)
			}
			if b := c.Plugins["bmm"]; b == nil || b.Path != "/opt/amber/amber-bmm" || b.StartTimeout != time.Minute || b.Name != "bmm" {
				t.Errorf("bmm plugin = %+v", b)
			}
			configs = append(configs, c)
		})
	}
	if len(configs) == 2 {
		a, b := configs[0], configs[1]
		ja, _ := a.Plugins["bitcoind"].ConfigJSON()
		jb, _ := b.Plugins["bitcoind"].ConfigJSON()
		if string(ja) != string(jb) {
			t.Errorf("plugin config JSON differs: yaml %s, toml %s", ja, jb)
		}
		a.ConfigFile, b.ConfigFile = "", ""
		a.Plugins, b.Plugins = nil, nil
		a.fs, b.fs = nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Errorf("YAML and TOML configs differ:\n%+v\n%+v", a, b)
		}
	}
}

func TestElectrumXEnvironmentAlone(t *testing.T) {
	env := []string{
		"PATH=/usr/bin", "HOME=/root", "TERM=xterm", "UNRELATED=1",
		"COIN=BitcoinSegwit", "NET=regtest", "DAEMON_URL=http://a:b@127.0.0.1:18443/",
		"DB_DIRECTORY=/var/db", "SERVICES=tcp://:51001,rpc://",
		"ALLOW_ROOT=0",         // any non-blank value is on
		"PEER_ANNOUNCE=",       // blank is off
		"PEER_DISCOVERY=maybe", // anything but off/self is on
		"REQUEST_SLEEP=500",    // milliseconds
		"LOG_SESSIONS=0",
		"DB_ENGINE=leveldb", // ElectrumX engine: selects pebble
		"LOG_FORMAT=%(message)s",
	}
	c := mustLoad(t, nil, env)
	want := []Service{{"tcp", "", 51001}, {"rpc", "localhost", 8000}}
	if !reflect.DeepEqual(c.Services, want) {
		t.Errorf("Services = %+v, want %+v", c.Services, want)
	}
	if c.Network.Name != "regtest" || c.DBDirectory != "/var/db" || c.DaemonURLs[0] != "http://a:b@127.0.0.1:18443/" {
		t.Errorf("got %s %q %q", c.Network, c.DBDirectory, c.DaemonURLs)
	}
	if !c.AllowRoot || c.PeerAnnounce || c.PeerDiscovery != "on" {
		t.Errorf("AllowRoot %v PeerAnnounce %v PeerDiscovery %q", c.AllowRoot, c.PeerAnnounce, c.PeerDiscovery)
	}
	if c.RequestSleep != 500*time.Millisecond || c.LogSessions != 0 {
		t.Errorf("RequestSleep %v LogSessions %v", c.RequestSleep, c.LogSessions)
	}
	if c.DBEngine != "pebble" || c.LogFormat != "text" {
		t.Errorf("DBEngine %q LogFormat %q: want pebble for leveldb, LOG_FORMAT ignored", c.DBEngine, c.LogFormat)
	}
}

func TestDerivedValues(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		check func(*Config) string
	}{
		{"reorg default mainnet", nil, func(c *Config) string { return want(c.ReorgLimit, 200) }},
		{"reorg explicit", []string{"REORG_LIMIT=50"}, func(c *Config) string { return want(c.ReorgLimit, 50) }},
		{"cost equal bumped", []string{"COST_SOFT_LIMIT=500", "COST_HARD_LIMIT=500"}, func(c *Config) string { return want(c.CostHardLimit, 501) }},
		{"cost zero kept", []string{"COST_SOFT_LIMIT=0", "COST_HARD_LIMIT=0"}, func(c *Config) string { return want(c.CostHardLimit, 0) }},
		{"max_send floor", []string{"MAX_SEND=1000"}, func(c *Config) string { return want(c.MaxSend, minMaxSend) }},
		{"max_send above floor", []string{"MAX_SEND=2000000"}, func(c *Config) string { return want(c.MaxSend, 2_000_000) }},
		{"blacklist default", nil, func(c *Config) string { return want(c.BlacklistURL, c.Network.BlacklistURL) }},
		{"drop_client compiled", []string{"DROP_CLIENT=^bad"}, func(c *Config) string {
			return want(c.DropClientRegexp != nil && c.DropClientRegexp.MatchString("bad/1.0"), true)
		}},
		{"daemon plugin exists", nil, func(c *Config) string {
			p := c.Plugins[DaemonPlugin]
			return want(p != nil && p.Name == DaemonPlugin && p.StartTimeout == time.Minute, true)
		}},
		{"ssl with cert", []string{"SERVICES=ssl://:50002", "SSL_CERTFILE=c", "SSL_KEYFILE=k"}, func(c *Config) string {
			return want(c.Services[0].TLS() && c.Path(c.SSLCertfile) == "/db/c", true)
		}},
	}
	for _, tc := range tests {
		c := mustLoad(t, nil, append(tc.env, required...))
		if msg := tc.check(c); msg != "" {
			t.Errorf("%s: %s", tc.name, msg)
		}
	}
	c := mustLoad(t, nil, append([]string{"NET=testnet4"}, required...))
	if c.ReorgLimit != 8000 || c.BlacklistURL != "" {
		t.Errorf("testnet4: ReorgLimit %d BlacklistURL %q", c.ReorgLimit, c.BlacklistURL)
	}
}

func want[T comparable](got, want T) string {
	if got != want {
		return "got " + strings.TrimSpace(strings.ReplaceAll(fmtAny(got), "\n", " ")) + ", want " + fmtAny(want)
	}
	return ""
}

func TestPluginConfigJSON(t *testing.T) {
	file := "plugins:\n  bitcoind:\n    config:\n      rpc: {timeout: 5, hosts: [a, b]}\n      mode: fast\n"
	env := append([]string{
		"AMBER_CONFIG=/c.yaml",
		"AMBER_PLUGINS__BITCOIND__CONFIG__MODE=slow",
		"AMBER_PLUGINS__BITCOIND__ENV__RUST_LOG=trace",
		"AMBER_PLUGINS__BITCOIND__ARGS=-a, -b",
		"AMBER_PLUGINS__EXTRA__PATH=/x",
		"AMBER_PLUGINS__EXTRA__CONFIG={\"k\": [1, 2]}",
	}, required...)
	c := mustLoad(t, map[string]string{"/c.yaml": file}, env)
	tests := []struct{ plugin, json string }{
		{"bitcoind", `{"mode":"slow","rpc":{"hosts":["a","b"],"timeout":5}}`},
		{"extra", `{"k":[1,2]}`},
	}
	for _, tc := range tests {
		b, err := c.Plugins[tc.plugin].ConfigJSON()
		if err != nil || string(b) != tc.json {
			t.Errorf("%s: ConfigJSON = %s, %v; want %s", tc.plugin, b, err, tc.json)
		}
	}
	p := c.Plugins["bitcoind"]
	if p.Env["RUST_LOG"] != "trace" || !reflect.DeepEqual(p.Args, []string{"-a", "-b"}) {
		t.Errorf("bitcoind env %v args %q", p.Env, p.Args)
	}
	if b, _ := (&Plugin{}).ConfigJSON(); string(b) != "{}" {
		t.Errorf("empty ConfigJSON = %s", b)
	}
}

func TestRedacted(t *testing.T) {
	env := []string{"DB_DIRECTORY=/db", "DAEMON_URL=http://user:secretpw@127.0.0.1:8332/,u2:pw2@host2",
		"AMBER_PLUGINS__BITCOIND__ENV__TOKEN=envsecret",
		"AMBER_PLUGINS__BITCOIND__CONFIG={\"rpcpassword\":\"cfgsecret\",\"url\":\"http://a:urlsecret@h\",\"n\":1}"}
	c := mustLoad(t, nil, env)
	r := c.Redacted()
	flat := fmtAny(r)
	for _, secret := range []string{"secretpw", "pw2", "envsecret", "cfgsecret", "urlsecret"} {
		if strings.Contains(flat, secret) {
			t.Errorf("Redacted leaks %q: %s", secret, flat)
		}
	}
	if got := r["daemon_url"]; got != "http://***@127.0.0.1:8332/,***@host2" {
		t.Errorf("daemon_url = %v", got)
	}
	for _, d := range keyDefs {
		if _, ok := r[d.name]; !ok {
			t.Errorf("Redacted lacks key %s", d.name)
		}
	}
	if r["max_send"] != 1_000_000 || r["request_timeout"] != "30s" {
		t.Errorf("max_send %v request_timeout %v", r["max_send"], r["request_timeout"])
	}
	if c.DaemonURLs[0] != "http://user:secretpw@127.0.0.1:8332/" {
		t.Error("Redacted modified the config")
	}
}

func TestHelp(t *testing.T) {
	_, err := load(t, nil, nil, "--help")
	var he *HelpError
	if !errors.As(err, &he) || !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v, want HelpError", err)
	}
	for _, s := range []string{"--daemon-url", "DAEMON_URL", "AMBER_DAEMON_URL", "--plugin-bitcoind-path", "--config", "AMBER_MEMPOOL_POLL_INTERVAL"} {
		if !strings.Contains(he.Usage, s) {
			t.Errorf("usage lacks %q", s)
		}
	}
}

func TestBanner(t *testing.T) {
	files := map[string]string{"/db/banner.txt": "hello", "/tor.txt": "onion"}
	tests := []struct {
		env       []string
		plain, tr string
	}{
		{nil, "", ""},
		{[]string{"BANNER_FILE=banner.txt"}, "hello", "hello"},
		{[]string{"BANNER_FILE=banner.txt", "TOR_BANNER_FILE=/tor.txt"}, "hello", "onion"},
	}
	for _, tc := range tests {
		c := mustLoad(t, files, append(tc.env, required...))
		for _, tor := range []bool{false, true} {
			got, err := c.Banner(context.Background(), tor)
			w := map[bool]string{false: tc.plain, true: tc.tr}[tor]
			if err != nil || got != w {
				t.Errorf("%v tor=%v: Banner = %q, %v; want %q", tc.env, tor, got, err, w)
			}
		}
	}
	c := mustLoad(t, files, append([]string{"BANNER_FILE=missing"}, required...))
	if _, err := c.Banner(context.Background(), false); err == nil {
		t.Error("missing banner file: no error")
	}
}

func TestLoadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, LoadOptions{Environ: required}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
