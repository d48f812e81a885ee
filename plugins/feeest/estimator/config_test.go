package estimator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		raw     string
		want    Config
		wantErr string
	}{
		{``, Config{Source: SourceAuto, RelayFee: DefaultRelayFee, ConservativeMargin: DefaultConservativeMargin}, ""},
		{`{"source":"mempool","relay_fee":0.00002,"conservative_margin":1.5}`,
			Config{Source: SourceMempool, RelayFee: 0.00002, ConservativeMargin: 1.5}, ""},
		{`{"source":"daemon","daemon_url":"u:p@127.0.0.1:18443","network":"regtest"}`,
			Config{Source: SourceDaemon, Daemon: json.RawMessage(`{"daemon_url":"u:p@127.0.0.1:18443","network":"regtest"}`),
				RelayFee: DefaultRelayFee, ConservativeMargin: DefaultConservativeMargin}, ""},
		{`{"source":"daemon"}`, Config{}, "feeest config: daemon_url: required with source \"daemon\""},
		{`{"source":"oracle"}`, Config{}, "feeest config: source: want"},
		{`{"relay_fee":-1}`, Config{}, "feeest config: relay_fee:"},
		{`{"conservative_margin":0.9}`, Config{}, "feeest config: conservative_margin:"},
		{`{"network":"regtest"}`, Config{}, "feeest config: network: set without daemon_url"},
		{`{"colour":"red"}`, Config{}, "feeest config: colour: unknown key"},
		{`[1]`, Config{}, "feeest config: not a JSON object"},
		{`null`, Config{}, "feeest config: not a JSON object"},
	}
	for _, tt := range tests {
		got, err := ParseConfig([]byte(tt.raw))
		if tt.wantErr != "" {
			if sdk.KindOf(err) != sdk.KindInvalidArgument || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseConfig(%s) = %v, want invalid argument containing %q", tt.raw, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Source != tt.want.Source || got.RelayFee != tt.want.RelayFee ||
			got.ConservativeMargin != tt.want.ConservativeMargin || string(got.Daemon) != string(tt.want.Daemon) {
			t.Errorf("ParseConfig(%s) = %+v (daemon %s), %v; want %+v (daemon %s)", tt.raw, got, got.Daemon, err, tt.want, tt.want.Daemon)
		}
	}
}

// FuzzParseConfig: the parser never panics, refuses only with
// KindInvalidArgument, and what it accepts is consistent.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{`{}`, `{"source":"daemon","daemon_url":"x"}`, `{"relay_fee":1e400}`, `{"conservative_margin":"2"}`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := ParseConfig([]byte(raw))
		if err != nil {
			if sdk.KindOf(err) != sdk.KindInvalidArgument {
				t.Errorf("ParseConfig(%q): %v is not invalid-argument", raw, err)
			}
			return
		}
		if cfg.RelayFee < 0 || cfg.ConservativeMargin < 1 || (cfg.Source == SourceDaemon && cfg.Daemon == nil) {
			t.Errorf("ParseConfig(%q) accepted %+v", raw, cfg)
		}
	})
}

// FuzzParams: the parameter parsers never panic and refuse with
// KindInvalidArgument only.
func FuzzParams(f *testing.F) {
	for _, s := range []string{`2`, `"25"`, `-1`, `1.0`, `null`, `"CONSERVATIVE"`, `[1]`, `99999999999999999999`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if n, err := parseNumber(json.RawMessage(raw)); err != nil && sdk.KindOf(err) != sdk.KindInvalidArgument || n < 0 {
			t.Errorf("parseNumber(%q) = %d, %v", raw, n, err)
		}
		if m, err := parseMode(json.RawMessage(raw)); err != nil && sdk.KindOf(err) != sdk.KindInvalidArgument ||
			(err == nil && m != "" && m != "CONSERVATIVE" && m != "ECONOMICAL") {
			t.Errorf("parseMode(%q) = %q, %v", raw, m, err)
		}
	})
}
