package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestProtectionOffRefused (issue 11.7): values that would quietly turn a
// protection off stop start-up with a message naming the key.
func TestProtectionOffRefused(t *testing.T) {
	for _, tc := range []struct {
		name, key, text string
		env             []string
	}{
		{"max_sessions 0", "max_sessions", "unlimited", []string{"MAX_SESSIONS=0"}},
		{"max_recv 0", "max_recv", "1,000,000", []string{"AMBER_MAX_RECV=0"}},
		{"metrics on all interfaces", "metrics_listen", "metrics_allow_remote", []string{"AMBER_METRICS_LISTEN=:9100"}},
		{"metrics on a public address", "metrics_listen", "metrics_allow_remote", []string{"AMBER_METRICS_LISTEN=0.0.0.0:9100"}},
		{"metrics without port", "metrics_listen", "host:port", []string{"AMBER_METRICS_LISTEN=127.0.0.1"}},
		{"bad origin", "ws_allowed_origins", "scheme://host", []string{"AMBER_WS_ALLOWED_ORIGINS=https://ok.example,wallet.example"}},
		{"origin with path", "ws_allowed_origins", "scheme://host", []string{"AMBER_WS_ALLOWED_ORIGINS=https://a.example/x"}},
		{"bad rpc_auth", "rpc_auth", "", []string{"AMBER_RPC_AUTH=password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, nil, append(tc.env, required...))
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			ke := keyError(t, err)
			if ke.Key != tc.key || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q (key %q), want key %q and %q in the text", err, ke.Key, tc.key, tc.text)
			}
		})
	}
}

func TestLimitsKeys(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		check   func(c *Config) bool
		explain string
	}{
		{"metrics on loopback", []string{"AMBER_METRICS_LISTEN=127.0.0.1:9100"}, func(c *Config) bool { return c.MetricsListen == "127.0.0.1:9100" }, "kept"},
		{"metrics on ::1", []string{"AMBER_METRICS_LISTEN=[::1]:9100"}, func(c *Config) bool { return c.MetricsListen == "[::1]:9100" }, "kept"},
		{"metrics on localhost", []string{"AMBER_METRICS_LISTEN=localhost:9100"}, func(c *Config) bool { return true }, "loads"},
		{"metrics remote allowed", []string{"AMBER_METRICS_LISTEN=:9100", "AMBER_METRICS_ALLOW_REMOTE=true"}, func(c *Config) bool { return c.MetricsListen == ":9100" }, "loads"},
		{"origins normalised", []string{"AMBER_WS_ALLOWED_ORIGINS=HTTPS://Wallet.Example, http://localhost:8080/"},
			func(c *Config) bool {
				return reflect.DeepEqual(c.WSAllowedOrigins, []string{"https://wallet.example", "http://localhost:8080"})
			}, "lower-case scheme://host"},
		{"no origins", nil, func(c *Config) bool { return c.WSAllowedOrigins == nil }, "nil = any"},
		{"cookie default path", []string{"AMBER_RPC_AUTH=cookie"}, func(c *Config) bool { return c.RPCAuth == "cookie" && c.CookiePath() == "/db/rpc.cookie" }, "/db/rpc.cookie"},
		{"cookie relative path", []string{"AMBER_RPC_COOKIE_FILE=auth/c"}, func(c *Config) bool { return c.CookiePath() == "/db/auth/c" }, "/db/auth/c"},
		{"cookie absolute path", []string{"AMBER_RPC_COOKIE_FILE=/run/amber.cookie"}, func(c *Config) bool { return c.CookiePath() == "/run/amber.cookie" }, "absolute"},
		{"poll blocks (ms)", []string{"DAEMON_POLL_INTERVAL_BLOCKS=10000"}, func(c *Config) bool { return c.MempoolPollInterval == 10*time.Second }, "10s"},
		{"poll both: shorter wins", []string{"DAEMON_POLL_INTERVAL_BLOCKS=3000", "DAEMON_POLL_INTERVAL_MEMPOOL=1500"}, func(c *Config) bool { return c.MempoolPollInterval == 1500*time.Millisecond }, "1.5s"},
		{"explicit mempool_poll_interval wins", []string{"DAEMON_POLL_INTERVAL_BLOCKS=3000", "AMBER_MEMPOOL_POLL_INTERVAL=7"}, func(c *Config) bool { return c.MempoolPollInterval == 7*time.Second }, "7s"},
		{"poll unset", nil, func(c *Config) bool { return c.MempoolPollInterval == 5*time.Second }, "5s default"},
	} {
		c := mustLoad(t, nil, append(tc.env, required...))
		if !tc.check(c) {
			t.Errorf("%s: want %s; got %+v", tc.name, tc.explain, c.Redacted())
		}
	}
}

func TestSaneMaxSessions(t *testing.T) {
	for _, tc := range []struct {
		max     int
		nofile  uint64
		want    int
		lowered bool
	}{
		{1000, 1024, 674, true},
		{1000, 1 << 20, 1000, false},
		{1000, 1350, 1000, false},
		{1000, 1349, 999, true},
		{1000, 300, 0, true},
		{1000, 0, 1000, false}, // unknown limit: unchanged
		{5, 1024, 5, false},
	} {
		got, lowered := SaneMaxSessions(tc.max, tc.nofile, NofileReserve)
		if got != tc.want || lowered != tc.lowered {
			t.Errorf("SaneMaxSessions(%d, %d) = %d %v, want %d %v", tc.max, tc.nofile, got, lowered, tc.want, tc.lowered)
		}
	}
}

func TestNofileReserveFor(t *testing.T) {
	for _, tc := range []struct{ files, want int }{
		{1, NofileReserve},        // buntdb: ElectrumX's reserve
		{250, NofileReserve},      // ElectrumX's own DB share
		{1000, 1000 + NofileSelf}, // pebble's table cache
	} {
		if got := NofileReserveFor(tc.files); got != tc.want {
			t.Errorf("NofileReserveFor(%d) = %d, want %d", tc.files, got, tc.want)
		}
	}
	// With pebble's reserve a 1,024 limit leaves no room at all.
	if n, lowered := SaneMaxSessions(1000, 1024, NofileReserveFor(1000)); n != 0 || !lowered {
		t.Errorf("SaneMaxSessions with pebble's reserve = %d %v, want 0 true", n, lowered)
	}
}
