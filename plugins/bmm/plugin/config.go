package plugin

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// Config is the parsed configuration block.
type Config struct {
	MainchainURL string
	Sidechain    uint8
	StartHeight  int64
	DBPath       string
	PollInterval time.Duration
	MainTimeout  time.Duration // bound on the mainchain calls of one request
}

// DefaultPollInterval is poll_interval's default.
const DefaultPollInterval = 5 * time.Second

func invalid(key, format string, args ...any) *sdk.Error {
	return sdk.Errorf(sdk.KindInvalidArgument, "bmm config: "+key+": "+format, args...)
}

// intValue reads a JSON integer or a decimal string.
func intValue(raw json.RawMessage) (int64, bool) {
	var s string
	text := string(bytes.TrimSpace(raw))
	if json.Unmarshal(raw, &s) == nil && strings.HasPrefix(text, `"`) {
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil
}

// durationValue reads a Go duration string or a number of seconds.
func durationValue(raw json.RawMessage) (time.Duration, bool) {
	var s string
	var d time.Duration
	if json.Unmarshal(raw, &s) == nil && strings.HasPrefix(strings.TrimSpace(string(raw)), `"`) {
		var err error
		if d, err = time.ParseDuration(strings.TrimSpace(s)); err != nil {
			return 0, false
		}
	} else if n, ok := intValue(raw); ok {
		d = time.Duration(n) * time.Second
	} else {
		return 0, false
	}
	return d, d > 0
}

// ParseConfig parses a configuration block (see the package doc).
func ParseConfig(raw []byte) (Config, error) {
	cfg := Config{PollInterval: DefaultPollInterval, MainTimeout: proof.DefaultMainTimeout}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return cfg, sdk.Errorf(sdk.KindInvalidArgument, "bmm config: not a JSON object: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	haveSidechain := false
	for _, k := range keys {
		v := m[k]
		switch k {
		case "mainchain_url":
			if json.Unmarshal(v, &cfg.MainchainURL) != nil {
				return cfg, invalid(k, "want a string")
			}
			if _, err := daemonrpc.ParseURL(cfg.MainchainURL, mainchain.DefaultPort, false); err != nil {
				return cfg, invalid(k, "%v (want user:pass@host[:port])", err)
			}
		case "sidechain_number":
			n, ok := intValue(v)
			if !ok || n < 0 || n > 255 {
				return cfg, invalid(k, "want an integer from 0 to 255, got %s", v)
			}
			cfg.Sidechain, haveSidechain = uint8(n), true
		case "start_height":
			n, ok := intValue(v)
			if !ok || n < 0 {
				return cfg, invalid(k, "want a non-negative integer, got %s", v)
			}
			cfg.StartHeight = n
		case "db_path":
			if json.Unmarshal(v, &cfg.DBPath) != nil || strings.TrimSpace(cfg.DBPath) == "" {
				return cfg, invalid(k, "want a non-empty string")
			}
		case "poll_interval", "mainchain_timeout":
			d, ok := durationValue(v)
			if !ok {
				return cfg, invalid(k, "want a positive duration such as \"5s\", got %s", v)
			}
			if k == "poll_interval" {
				cfg.PollInterval = d
			} else {
				cfg.MainTimeout = d
			}
		default:
			return cfg, invalid(k, "unknown key")
		}
	}
	switch {
	case cfg.MainchainURL == "":
		return cfg, invalid("mainchain_url", "required")
	case !haveSidechain:
		return cfg, invalid("sidechain_number", "required")
	case cfg.DBPath == "":
		return cfg, invalid("db_path", "required")
	}
	return cfg, nil
}
