package estimator

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sort"

	"github.com/amber-electrum/amber/sdk"
)

// Sources of estimates (the source key).
const (
	SourceAuto    = "auto"
	SourceDaemon  = "daemon"
	SourceMempool = "mempool"
)

// Defaults.
const (
	DefaultRelayFee           = 0.00001 // BTC/kvB
	DefaultConservativeMargin = 1.2
)

// Config is the parsed configuration block.
type Config struct {
	Source             string
	Daemon             json.RawMessage // the bitcoind backend's block; nil without daemon_url
	RelayFee           float64
	ConservativeMargin float64
}

// daemonKeys are passed through to the bitcoind backend's configuration.
var daemonKeys = []string{"daemon_url", "cookie_file", "request_timeout", "network"}

func invalid(key, format string, args ...any) error {
	return sdk.Errorf(sdk.KindInvalidArgument, "feeest config: "+key+": "+format, args...)
}

// ParseConfig parses a configuration block (see the package doc).
func ParseConfig(raw []byte) (Config, error) {
	cfg := Config{Source: SourceAuto, RelayFee: DefaultRelayFee, ConservativeMargin: DefaultConservativeMargin}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return cfg, sdk.Errorf(sdk.KindInvalidArgument, "feeest config: not a JSON object")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	daemon := map[string]json.RawMessage{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "source":
			if err := json.Unmarshal(v, &cfg.Source); err != nil ||
				!slices.Contains([]string{SourceAuto, SourceDaemon, SourceMempool}, cfg.Source) {
				return cfg, invalid(k, "want \"auto\", \"daemon\" or \"mempool\", got %s", v)
			}
		case "relay_fee":
			if err := json.Unmarshal(v, &cfg.RelayFee); err != nil || cfg.RelayFee < 0 || math.IsInf(cfg.RelayFee, 0) {
				return cfg, invalid(k, "want a fee rate in BTC/kvB >= 0, got %s", v)
			}
		case "conservative_margin":
			if err := json.Unmarshal(v, &cfg.ConservativeMargin); err != nil || cfg.ConservativeMargin < 1 ||
				cfg.ConservativeMargin > 100 {
				return cfg, invalid(k, "want a number between 1 and 100, got %s", v)
			}
		default:
			if !slices.Contains(daemonKeys, k) {
				return cfg, invalid(k, "unknown key")
			}
			daemon[k] = v
		}
	}
	if _, ok := daemon["daemon_url"]; ok {
		cfg.Daemon, _ = json.Marshal(daemon)
	} else if len(daemon) > 0 {
		for _, k := range daemonKeys {
			if _, ok := daemon[k]; ok {
				return cfg, invalid(k, "set without daemon_url")
			}
		}
	}
	if cfg.Source == SourceDaemon && cfg.Daemon == nil {
		return cfg, invalid("daemon_url", "required with source \"daemon\"")
	}
	return cfg, nil
}
