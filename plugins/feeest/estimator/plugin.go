package estimator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/amber-electrum/amber/core/pyfmt"

	"github.com/amber-electrum/amber/plugins/internal/chainbackend"
	"github.com/amber-electrum/amber/sdk"
)

// Method names.
const (
	MethodEstimateFee = "feeest.estimatefee"
	MethodRelayFee    = "feeest.relayfee"
)

// Version is the plugin's version.
const Version = "0.1.0"

// MaxTarget is the largest confirmation target; larger ones are clamped.
const MaxTarget = 1008

// Daemon is what the daemon source needs; *chainbackend.Backend (the bitcoind
// plugin's chain backend) satisfies it.
type Daemon interface {
	Configure(ctx context.Context, config []byte) error
	Describe(ctx context.Context) (sdk.Description, error)
	EstimateFee(ctx context.Context, blocks int, mode string) (float64, error)
	RelayFee(ctx context.Context) (float64, error)
	Shutdown(ctx context.Context) error
}

// Plugin is the fee-estimation plugin. Its zero value is not usable: call
// New.
type Plugin struct {
	sdk.BasicPlugin
	newDaemon func() Daemon

	mu     sync.RWMutex
	cfg    Config
	source string // SourceDaemon or SourceMempool once configured
	daemon Daemon // nil without daemon_url
	fees   sdk.FeeHost
}

var (
	_ sdk.MethodProvider = (*Plugin)(nil)
	_ sdk.FeeEstimator   = (*Plugin)(nil)
	_ sdk.HostAware      = (*Plugin)(nil)
	_ Daemon             = (*chainbackend.Backend)(nil)
)

// New returns an unconfigured plugin whose daemon source logs to log (nil:
// discarded).
func New(log *slog.Logger) *Plugin {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return NewWithDaemon(func() Daemon { return chainbackend.New(log) })
}

// NewWithDaemon returns an unconfigured plugin that builds its daemon
// client with newDaemon (called by Configure when daemon_url is set).
func NewWithDaemon(newDaemon func() Daemon) *Plugin {
	return &Plugin{BasicPlugin: sdk.BasicPlugin{Name: "feeest", Version: Version}, newDaemon: newDaemon}
}

// SetHost implements sdk.HostAware: the mempool source reads the host's
// fee service (the Host is an sdk.FeeHost when amberd serves it).
func (p *Plugin) SetHost(h sdk.Host) {
	p.BasicPlugin.SetHost(h)
	fh, _ := h.(sdk.FeeHost)
	p.mu.Lock()
	p.fees = fh
	p.mu.Unlock()
}

// FeeRate implements sdk.FeeEstimator, the role amberd routes
// blockchain.estimatefee to: EstimateFee with the target clamped to
// [1, MaxTarget] and the mode checked as feeest.estimatefee checks it.
func (p *Plugin) FeeRate(ctx context.Context, blocks int, mode string) (float64, error) {
	if mode != "" && mode != "CONSERVATIVE" && mode != "ECONOMICAL" {
		return 0, sdk.Errorf(sdk.KindInvalidArgument, "unknown estimatefee mode: %s", pyfmt.Str(json.RawMessage(strconv.Quote(mode))))
	}
	return p.EstimateFee(ctx, min(max(blocks, 1), MaxTarget), mode)
}

// MinRelayFee implements sdk.FeeEstimator (blockchain.relayfee): RelayFee.
func (p *Plugin) MinRelayFee(ctx context.Context) (float64, error) { return p.RelayFee(ctx) }

// Source returns the source in use, SourceDaemon or SourceMempool ("" before
// Configure).
func (p *Plugin) Source() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.source
}

// Configure parses the configuration, connects to the daemon when
// daemon_url is set and picks the source.
func (p *Plugin) Configure(ctx context.Context, raw []byte) error {
	cfg, err := ParseConfig(raw)
	if err != nil {
		return err
	}
	var d Daemon
	source := cfg.Source
	if cfg.Daemon != nil {
		d = p.newDaemon()
		if err := d.Configure(ctx, cfg.Daemon); err != nil {
			return err
		}
		if source == SourceAuto {
			desc, err := d.Describe(ctx)
			if err != nil {
				_ = d.Shutdown(ctx)
				return err
			}
			if slices.Contains(desc.Capabilities, sdk.CapEstimateSmartFee) {
				source = SourceDaemon
			}
		}
	}
	if source == SourceAuto {
		source = SourceMempool
	}
	p.mu.Lock()
	old := p.daemon
	p.cfg, p.source, p.daemon = cfg, source, d
	p.mu.Unlock()
	if old != nil {
		_ = old.Shutdown(ctx)
	}
	return nil
}

// Shutdown closes the daemon connection.
func (p *Plugin) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	d := p.daemon
	p.daemon = nil
	p.mu.Unlock()
	if d != nil {
		return d.Shutdown(ctx)
	}
	return nil
}

// Methods implements sdk.MethodProvider.
func (p *Plugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{
		{Name: MethodEstimateFee, MinArgs: 1, MaxArgs: 2, ParamNames: []string{"number", "mode"}, Cost: 2.0},
		{Name: MethodRelayFee, Cost: 1.0},
	}, nil
}

// Call implements sdk.MethodProvider.
func (p *Plugin) Call(ctx context.Context, method string, params json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "params must be an array")
	}
	var rate float64
	var err error
	switch method {
	case MethodEstimateFee:
		if len(args) == 0 {
			return nil, sdk.Errorf(sdk.KindInvalidArgument, "missing number")
		}
		args = append(args, nil)
		number, err := parseNumber(args[0])
		if err != nil {
			return nil, err
		}
		mode, err := parseMode(args[1])
		if err != nil {
			return nil, err
		}
		rate, err = p.EstimateFee(ctx, int(min(max(number, 1), MaxTarget)), mode)
		if err != nil {
			return nil, err
		}
	case MethodRelayFee:
		if rate, err = p.RelayFee(ctx); err != nil {
			return nil, err
		}
	default:
		return nil, sdk.Errorf(sdk.KindUnimplemented, "unknown method %s", method)
	}
	return encodeRate(rate), nil
}

// EstimateFee answers for a target of blocks (1..MaxTarget) and mode (""
// , "CONSERVATIVE" or "ECONOMICAL") from the configured source, in BTC/kvB
// or -1.
func (p *Plugin) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	p.mu.RLock()
	source, d, fh, cfg := p.source, p.daemon, p.fees, p.cfg
	p.mu.RUnlock()
	switch source {
	case SourceDaemon:
		return d.EstimateFee(ctx, blocks, mode)
	case SourceMempool:
	default:
		return 0, sdk.Errorf(sdk.KindUnavailable, "feeest plugin: not configured")
	}
	if fh == nil {
		return 0, sdk.Errorf(sdk.KindUnavailable, "amberd offered no fee host service (mempool source)")
	}
	bins, err := fh.FeeHistogram(ctx)
	if err != nil {
		return 0, err
	}
	stats, err := fh.MempoolStats(ctx)
	if err != nil {
		return 0, err
	}
	relay, err := p.RelayFee(ctx)
	if err != nil {
		return 0, err
	}
	margin := 1.0
	if mode == "CONSERVATIVE" {
		margin = cfg.ConservativeMargin
	}
	return MempoolRate(bins, stats, blocks, relay, margin), nil
}

// RelayFee returns the daemon's relay fee when daemon_url is set, else the
// configured relay_fee (BTC/kvB).
func (p *Plugin) RelayFee(ctx context.Context) (float64, error) {
	p.mu.RLock()
	source, d, cfg := p.source, p.daemon, p.cfg
	p.mu.RUnlock()
	switch {
	case source == "":
		return 0, sdk.Errorf(sdk.KindUnavailable, "feeest plugin: not configured")
	case d != nil:
		return d.RelayFee(ctx)
	}
	return cfg.RelayFee, nil
}

// encodeRate encodes -1 as the integer -1 and other rates as JSON numbers,
// as the core does.
func encodeRate(r float64) json.RawMessage {
	if r == -1 {
		return json.RawMessage("-1")
	}
	return json.RawMessage(strconv.FormatFloat(r, 'f', -1, 64))
}

// parseNumber validates number like the core: a non-negative integer, as
// a JSON number or a string of digits.
func parseNumber(raw json.RawMessage) (int64, error) {
	fail := sdk.Errorf(sdk.KindInvalidArgument, "%s should be a non-negative integer", pyfmt.Str(raw))
	text := string(bytes.TrimSpace(raw))
	var s string
	if json.Unmarshal(raw, &s) == nil {
		text = strings.TrimSpace(s)
	}
	if strings.ContainsAny(text, ".eE") {
		return 0, fail
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return 0, fail
	}
	return n, nil
}

// parseMode accepts null, "CONSERVATIVE" and "ECONOMICAL" (case-sensitive).
func parseMode(raw json.RawMessage) (string, error) {
	if raw == nil || string(bytes.TrimSpace(raw)) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || (s != "CONSERVATIVE" && s != "ECONOMICAL") {
		return "", sdk.Errorf(sdk.KindInvalidArgument, "unknown estimatefee mode: %s", pyfmt.Str(raw))
	}
	return s, nil
}
