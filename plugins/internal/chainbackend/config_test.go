package chainbackend

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		errKey string // the key the error must name; "" = success
		check  func(Config) bool
	}{
		{name: "minimal", in: `{"daemon_url":"u:p@127.0.0.1"}`, check: func(c Config) bool {
			return len(c.URLs) == 1 && c.URLs[0].Logged == "127.0.0.1:8332" && c.BatchSize == 50 &&
				c.RequestTimeout == 30*time.Second && c.Network == ""
		}},
		{name: "comma list and testnet port", in: `{"daemon_url":"u:p@a, u:p@b:1","network":"regtest"}`, check: func(c Config) bool {
			return len(c.URLs) == 2 && c.URLs[0].Logged == "a:18332" && c.URLs[1].Logged == "b:1" && c.Network == "regtest"
		}},
		{name: "array", in: `{"daemon_url":["u:p@a:1","u:p@b:2"],"batch_size":7,"request_timeout":"2s"}`, check: func(c Config) bool {
			return len(c.URLs) == 2 && c.BatchSize == 7 && c.RequestTimeout == 2*time.Second
		}},
		{name: "cookie makes credentials optional", in: `{"daemon_url":"127.0.0.1:8332","cookie_file":"/x/.cookie"}`, check: func(c Config) bool {
			return c.CookieFile == "/x/.cookie" && !c.URLs[0].HasAuth
		}},
		{name: "unknown key", in: `{"daemon_url":"u:p@a","daemon_urls":"x"}`, errKey: "daemon_urls"},
		{name: "missing url", in: `{}`, errKey: "daemon_url"},
		{name: "empty input", in: ``, errKey: "daemon_url"},
		{name: "url without credentials", in: `{"daemon_url":"127.0.0.1:8332"}`, errKey: "daemon_url"},
		{name: "bad url type", in: `{"daemon_url":5}`, errKey: "daemon_url"},
		{name: "bad network", in: `{"daemon_url":"u:p@a","network":"main"}`, errKey: "network"},
		{name: "bad timeout", in: `{"daemon_url":"u:p@a","request_timeout":"soon"}`, errKey: "request_timeout"},
		{name: "zero timeout", in: `{"daemon_url":"u:p@a","request_timeout":"0s"}`, errKey: "request_timeout"},
		{name: "bad batch", in: `{"daemon_url":"u:p@a","batch_size":0}`, errKey: "batch_size"},
		{name: "batch type", in: `{"daemon_url":"u:p@a","batch_size":"5"}`, errKey: "batch_size"},
		{name: "cookie type", in: `{"daemon_url":"u:p@a","cookie_file":1}`, errKey: "cookie_file"},
		{name: "not an object", in: `[1]`, errKey: "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.in))
			if tc.errKey == "" {
				if err != nil || !tc.check(c) {
					t.Fatalf("got %+v, %v", c, err)
				}
				return
			}
			var e *sdk.Error
			if !errors.As(err, &e) || e.Kind != sdk.KindInvalidArgument || !strings.Contains(e.Error(), tc.errKey) {
				t.Fatalf("got %v, want KindInvalidArgument naming %q", err, tc.errKey)
			}
		})
	}
}

func TestChainNetwork(t *testing.T) {
	for chain, want := range map[string]string{
		"main": "mainnet", "mainnet": "mainnet", "test": "testnet", "testnet3": "testnet",
		"testnet4": "testnet4", "signet": "signet", "regtest": "regtest",
	} {
		if got := chainNetwork(chain); got != want {
			t.Errorf("%s: got %s want %s", chain, got, want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"daemon_url":"u:p@127.0.0.1"}`,
		`{"daemon_url":["u:p@a:1","b"],"cookie_file":"c","batch_size":3,"request_timeout":"1m","network":"signet"}`,
		`{"daemon_url":"u:p@a","x":1}`, `[]`, ``, `{"batch_size":1e9}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			if sdk.KindOf(err) != sdk.KindInvalidArgument {
				t.Fatalf("error of kind %v: %v", sdk.KindOf(err), err)
			}
			return
		}
		if len(c.URLs) == 0 || c.BatchSize < 1 || c.BatchSize > MaxBatchSize || c.RequestTimeout <= 0 {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
		for _, u := range c.URLs {
			if !u.HasAuth && c.CookieFile == "" {
				t.Fatalf("URL without credentials and no cookie file: %+v", u)
			}
		}
	})
}
