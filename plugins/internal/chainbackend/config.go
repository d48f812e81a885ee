package chainbackend

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// Config is the parsed configuration block.
type Config struct {
	URLs           []daemonrpc.Endpoint
	CookieFile     string
	RequestTimeout time.Duration
	Network        string // "" when not set
	BatchSize      int
	// FetchWindow bounds the bytes of blocks held by Blocks (fetch_window_mb).
	FetchWindow int64
	// MemoryLimit is the process's Go soft memory limit in bytes
	// (memory_limit_mb; 0: none).
	MemoryLimit int64
}

// Networks are the network names the host may expect.
var Networks = []string{"mainnet", "testnet", "testnet4", "signet", "regtest"}

// Defaults.
const (
	DefaultBatchSize = 50
	MaxBatchSize     = 1000
	// DefaultFetchWindowMB is fetch_window_mb's default, MaxFetchWindowMB
	// its largest value.
	DefaultFetchWindowMB = 64
	MaxFetchWindowMB     = 4096
	// MaxMemoryLimitMB is memory_limit_mb's largest value (1 TiB).
	MaxMemoryLimitMB = 1 << 20
	// memoryOverheadMB is what the default memory_limit_mb adds to twice
	// the fetch window: the runtime, the gRPC buffers, the block being
	// sent and the decode scratch of the largest block (4 MB on mainnet).
	memoryOverheadMB = 64
)

// mib is a mebibyte.
const mib = 1 << 20

// DefaultPort is the RPC port assumed for URLs without one (ElectrumX's
// coin defaults: 8332, and 18332 for the whole testnet class).
func DefaultPort(network string) int {
	if network == "" || network == "mainnet" {
		return 8332
	}
	return 18332
}

func invalid(key, format string, args ...any) *sdk.Error {
	e := sdk.Errorf(sdk.KindInvalidArgument, "bitcoind config: "+key+": "+format, args...)
	return e
}

// ParseConfig parses a configuration block (see the package doc).
func ParseConfig(raw []byte) (Config, error) {
	cfg := Config{RequestTimeout: daemonrpc.DefaultRequestTimeout, BatchSize: DefaultBatchSize}
	window, limit := int64(DefaultFetchWindowMB), int64(0)
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return cfg, sdk.Errorf(sdk.KindInvalidArgument, "bitcoind config: not a JSON object: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var urls []string
	for _, k := range keys {
		v := m[k]
		var err error
		switch k {
		case "daemon_url":
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				urls = strings.Split(s, ",")
			} else if err = json.Unmarshal(v, &urls); err != nil {
				return cfg, invalid(k, "want a string or an array of strings")
			}
		case "cookie_file":
			err = json.Unmarshal(v, &cfg.CookieFile)
		case "request_timeout":
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				cfg.RequestTimeout, err = time.ParseDuration(s)
				if err == nil && cfg.RequestTimeout <= 0 {
					return cfg, invalid(k, "must be positive")
				}
			}
		case "network":
			if err = json.Unmarshal(v, &cfg.Network); err == nil && !slices.Contains(Networks, cfg.Network) {
				return cfg, invalid(k, "unknown network %q (want one of %s)", cfg.Network, strings.Join(Networks, ", "))
			}
		case "batch_size":
			if err = json.Unmarshal(v, &cfg.BatchSize); err == nil && (cfg.BatchSize < 1 || cfg.BatchSize > MaxBatchSize) {
				return cfg, invalid(k, "must be between 1 and %d", MaxBatchSize)
			}
		case "fetch_window_mb":
			if window, err = intOrText(v); err == nil && (window < 1 || window > MaxFetchWindowMB) {
				return cfg, invalid(k, "must be between 1 and %d", MaxFetchWindowMB)
			}
		case "memory_limit_mb":
			if limit, err = intOrText(v); err == nil && (limit < -1 || limit > MaxMemoryLimitMB) {
				return cfg, invalid(k, "must be -1 (no limit), 0 (the default) or a size in MiB up to %d", MaxMemoryLimitMB)
			}
		default:
			return cfg, invalid(k, "unknown key")
		}
		if err != nil {
			return cfg, invalid(k, "%v", err)
		}
	}
	if len(urls) == 0 || (len(urls) == 1 && strings.TrimSpace(urls[0]) == "") {
		return cfg, invalid("daemon_url", "required")
	}
	eps, err := daemonrpc.ParseURLList(urls, DefaultPort(cfg.Network), cfg.CookieFile != "")
	if err != nil {
		return cfg, invalid("daemon_url", "%v", err)
	}
	cfg.URLs = eps
	cfg.FetchWindow = window * mib
	switch {
	case limit == 0:
		cfg.MemoryLimit = (2*window + memoryOverheadMB) * mib
	case limit > 0:
		cfg.MemoryLimit = limit * mib
	}
	return cfg, nil
}

// intOrText reads an integer given as a JSON number or as a string holding
// one (amberd passes AMBER_PLUGINS__<NAME>__CONFIG__<KEY> values as text).
func intOrText(v json.RawMessage) (int64, error) {
	var n int64
	if err := json.Unmarshal(v, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return 0, errors.New("want an integer")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errors.New("want an integer")
	}
	return n, nil
}

// chainNetwork maps getblockchaininfo.chain (Core or btcd spelling) to the
// network names of Description.Network.
func chainNetwork(chain string) string {
	switch chain {
	case "main", "mainnet":
		return "mainnet"
	case "test", "testnet3":
		return "testnet"
	}
	return chain // testnet4, signet, regtest, simnet
}
