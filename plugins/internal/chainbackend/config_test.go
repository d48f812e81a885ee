package chainbackend

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/fakedaemon"
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
		{name: "default window and memory limit", in: `{"daemon_url":"u:p@a"}`, check: func(c Config) bool {
			return c.FetchWindow == 64<<20 && c.MemoryLimit == (2*64+64)<<20
		}},
		{name: "window sets the default limit", in: `{"daemon_url":"u:p@a","fetch_window_mb":8}`, check: func(c Config) bool {
			return c.FetchWindow == 8<<20 && c.MemoryLimit == (2*8+64)<<20
		}},
		{name: "explicit limit", in: `{"daemon_url":"u:p@a","memory_limit_mb":300}`, check: func(c Config) bool {
			return c.MemoryLimit == 300<<20
		}},
		{name: "no limit", in: `{"daemon_url":"u:p@a","memory_limit_mb":-1}`, check: func(c Config) bool {
			return c.MemoryLimit == 0
		}},
		{name: "zero window", in: `{"daemon_url":"u:p@a","fetch_window_mb":0}`, errKey: "fetch_window_mb"},
		{name: "huge window", in: `{"daemon_url":"u:p@a","fetch_window_mb":5000}`, errKey: "fetch_window_mb"},
		{name: "window as text", in: `{"daemon_url":"u:p@a","fetch_window_mb":"8","memory_limit_mb":" 100"}`, check: func(c Config) bool {
			return c.FetchWindow == 8<<20 && c.MemoryLimit == 100<<20
		}},
		{name: "window type", in: `{"daemon_url":"u:p@a","fetch_window_mb":"8 MB"}`, errKey: "fetch_window_mb"},
		{name: "window fraction", in: `{"daemon_url":"u:p@a","fetch_window_mb":1.5}`, errKey: "fetch_window_mb"},
		{name: "bad limit", in: `{"daemon_url":"u:p@a","memory_limit_mb":-2}`, errKey: "memory_limit_mb"},
		{name: "limit past the cap", in: `{"daemon_url":"u:p@a","memory_limit_mb":17592186044417}`, errKey: "memory_limit_mb"},
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

// TestConfigureMemoryLimit: Configure applies memory_limit_mb to the process
// only when the backend owns the process's memory (OwnProcessMemory), and
// -1 lifts the limit.
func TestConfigureMemoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		owns  bool
		extra string
		want  []int64
	}{
		{"borrowed backend", false, ``, nil},
		{"default", true, ``, []int64{(2*64 + 64) << 20}},
		{"from the window", true, `,"fetch_window_mb":4`, []int64{(2*4 + 64) << 20}},
		{"explicit", true, `,"memory_limit_mb":200`, []int64{200 << 20}},
		{"none", true, `,"memory_limit_mb":-1`, []int64{math.MaxInt64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := fakedaemon.New(t)
			newFakeChain(2).install(d, core)
			b := New(slog.New(slog.DiscardHandler))
			var got []int64
			if tc.owns {
				b.setLimit = func(n int64) int64 { got = append(got, n); return 0 }
			}
			if err := b.Configure(bg, []byte(fmt.Sprintf(`{"daemon_url":%q%s}`, d.URL(), tc.extra))); err != nil {
				t.Fatal(err)
			}
			defer b.Shutdown(bg)
			if !slices.Equal(got, tc.want) {
				t.Errorf("limits set %v, want %v", got, tc.want)
			}
		})
	}
}
