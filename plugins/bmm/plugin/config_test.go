package plugin

import (
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/sdk"
)

func TestParseConfig(t *testing.T) {
	base := `"mainchain_url":"u:p@127.0.0.1:18443","sidechain_number":2,"db_path":"/tmp/x.db"`
	tests := []struct {
		name string
		json string
		want Config
		err  string // substring; the key named
	}{
		{"minimal", `{` + base + `}`, Config{MainchainURL: "u:p@127.0.0.1:18443", Sidechain: 2, DBPath: "/tmp/x.db", PollInterval: DefaultPollInterval, MainTimeout: proof.DefaultMainTimeout}, ""},
		{"all", `{` + base + `,"start_height":"100","poll_interval":"250ms","mainchain_timeout":3}`, Config{MainchainURL: "u:p@127.0.0.1:18443", Sidechain: 2, StartHeight: 100, DBPath: "/tmp/x.db", PollInterval: 250 * time.Millisecond, MainTimeout: 3 * time.Second}, ""},
		{"string sidechain", `{"mainchain_url":"u:p@h","sidechain_number":"255","db_path":"d"}`, Config{MainchainURL: "u:p@h", Sidechain: 255, DBPath: "d", PollInterval: DefaultPollInterval, MainTimeout: proof.DefaultMainTimeout}, ""},
		{"unknown key", `{` + base + `,"daemon_url":"x"}`, Config{}, "daemon_url: unknown key"},
		{"sidechain too big", `{` + base + `,"sidechain_number":256}`, Config{}, "sidechain_number"},
		{"sidechain negative", `{"mainchain_url":"u:p@h","sidechain_number":-1,"db_path":"d"}`, Config{}, "sidechain_number"},
		{"sidechain missing", `{"mainchain_url":"u:p@h","db_path":"d"}`, Config{}, "sidechain_number: required"},
		{"url missing", `{"sidechain_number":1,"db_path":"d"}`, Config{}, "mainchain_url: required"},
		{"url without credentials", `{"mainchain_url":"127.0.0.1:1","sidechain_number":1,"db_path":"d"}`, Config{}, "mainchain_url"},
		{"db missing", `{"mainchain_url":"u:p@h","sidechain_number":1}`, Config{}, "db_path: required"},
		{"db empty", `{` + base + `,"db_path":""}`, Config{}, "db_path"},
		{"start negative", `{` + base + `,"start_height":-5}`, Config{}, "start_height"},
		{"start float", `{` + base + `,"start_height":1.5}`, Config{}, "start_height"},
		{"poll bad", `{` + base + `,"poll_interval":"soon"}`, Config{}, "poll_interval"},
		{"timeout zero", `{` + base + `,"mainchain_timeout":"0s"}`, Config{}, "mainchain_timeout"},
		{"not an object", `[1]`, Config{}, "not a JSON object"},
		{"empty", ``, Config{}, "mainchain_url: required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.json))
			if tc.err != "" {
				if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want invalid-argument containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add(`{"mainchain_url":"u:p@127.0.0.1:1","sidechain_number":2,"db_path":"x","start_height":"3","poll_interval":"1s"}`)
	f.Add(`{"sidechain_number":"300"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := ParseConfig([]byte(raw))
		if err != nil {
			if sdk.KindOf(err) != sdk.KindInvalidArgument {
				t.Fatalf("error of kind %v: %v", sdk.KindOf(err), err)
			}
			return
		}
		if cfg.MainchainURL == "" || cfg.DBPath == "" || cfg.StartHeight < 0 || cfg.PollInterval <= 0 || cfg.MainTimeout <= 0 {
			t.Fatalf("accepted %s as %+v", raw, cfg)
		}
	})
}
