package chainbackend

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// Version is the plugin's own version.
const Version = "0.1.0"

// Backend implements sdk.ChainBackend. The zero value is not usable; call
// New. Until Configure succeeds, daemon calls fail with KindUnavailable.
type Backend struct {
	log *slog.Logger
	// initialDelay and maxDelay override the client's backoff (tests).
	initialDelay, maxDelay time.Duration

	// bigBlock is the largest block of the last batch Blocks fetched (0:
	// none yet); held the bytes of blocks Blocks holds.
	bigBlock atomic.Int64
	held     heldBytes
	// setLimit, when set (OwnProcessMemory), applies memory_limit_mb.
	setLimit func(int64) int64

	mu     sync.RWMutex
	client *daemonrpc.Client
	cfg    Config
	desc   sdk.Description
}

var _ sdk.ChainBackend = (*Backend)(nil)

// New returns an unconfigured backend logging to log (nil: slog.Default()).
func New(log *slog.Logger) *Backend {
	if log == nil {
		log = slog.Default()
	}
	return &Backend{log: log, desc: sdk.Description{
		Name: "bitcoind", Version: Version, SDKVersion: sdk.Version,
		Capabilities: baseCaps(),
	}}
}

// OwnProcessMemory makes Configure set the process's Go soft memory limit
// from memory_limit_mb (runtime/debug.SetMemoryLimit), unless the GOMEMLIMIT
// environment variable is set, which then wins. The bitcoind plugin calls it;
// a process that only borrows the backend (the feeest plugin) does not.
func (b *Backend) OwnProcessMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		b.setLimit = debug.SetMemoryLimit
	}
}

// baseCaps are the capabilities of every connection (BroadcastPackage and
// MempoolInfo have fallbacks for daemons without submitpackage or a full
// getmempoolinfo; WatchChain answers KindUnimplemented for a daemon with no
// notification channel at all).
func baseCaps() []string {
	return []string{sdk.CapChainBackend, sdk.CapVerboseTx, sdk.CapBroadcastPackage, sdk.CapMempoolInfo,
		sdk.CapChainEvents}
}

// Describe names the plugin; after Configure it also names the chain and
// lists estimatesmartfee if the daemon has it.
func (b *Backend) Describe(context.Context) (sdk.Description, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	d := b.desc
	d.Capabilities = append([]string(nil), d.Capabilities...)
	return d, nil
}

// conn returns the configured client and config.
func (b *Backend) conn() (*daemonrpc.Client, Config, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.client == nil {
		return nil, Config{}, sdk.Errorf(sdk.KindUnavailable, "bitcoind plugin: not configured")
	}
	return b.client, b.cfg, nil
}

// call makes one call through the configured client and decodes its result
// into out (unless out is nil).
func (b *Backend) call(ctx context.Context, out any, method string, params ...any) error {
	c, _, err := b.conn()
	if err != nil {
		return err
	}
	res, err := c.Call(ctx, method, params...)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		return sdk.Errorf(sdk.KindInternal, "%s: unexpected result %.100s: %w", method, res, err)
	}
	return nil
}

// Configure parses the configuration, connects (waiting through warm-up
// within ctx), checks the network and fills in the description.
func (b *Backend) Configure(ctx context.Context, raw []byte) error {
	cfg, err := ParseConfig(raw)
	if err != nil {
		return err
	}
	opts := daemonrpc.Options{URLs: cfg.URLs, CookieFile: cfg.CookieFile, RequestTimeout: cfg.RequestTimeout,
		Logger: b.log}
	if b.initialDelay > 0 {
		opts.InitialDelay, opts.MaxDelay = b.initialDelay, b.maxDelay
	}
	c, err := daemonrpc.New(opts)
	if err != nil {
		return sdk.Errorf(sdk.KindInvalidArgument, "bitcoind config: %w", err)
	}
	desc, err := b.connect(ctx, c, cfg)
	if err != nil {
		c.Close()
		return err
	}
	b.mu.Lock()
	old := b.client
	b.client, b.cfg, b.desc = c, cfg, desc
	b.mu.Unlock()
	if b.setLimit != nil {
		limit := cfg.MemoryLimit
		if limit <= 0 {
			limit = math.MaxInt64 // Go's "no limit"
		}
		b.setLimit(limit)
	}
	if old != nil {
		old.Close()
	}
	b.log.Info("connected to daemon", "url", c.Current().Logged, "network", desc.Network,
		"genesis", desc.GenesisHash.String(), "fetch_window_mb", cfg.FetchWindow/mib,
		"memory_limit_mb", cfg.MemoryLimit/mib, "memory_limit_set", b.setLimit != nil)
	return nil
}

// connect runs the start-up calls of Configure on c.
func (b *Backend) connect(ctx context.Context, c *daemonrpc.Client, cfg Config) (sdk.Description, error) {
	desc := sdk.Description{Name: "bitcoind", Version: Version, SDKVersion: sdk.Version, Coin: "Bitcoin",
		Capabilities: baseCaps()}
	if _, err := c.Call(ctx, "getblockcount"); err != nil {
		return desc, fmt.Errorf("bitcoind: getblockcount: %w", err)
	}
	res, err := c.Call(ctx, "getblockhash", 0)
	if err != nil {
		return desc, fmt.Errorf("bitcoind: getblockhash 0: %w", err)
	}
	if desc.GenesisHash, err = parseHashJSON(res); err != nil {
		return desc, err
	}
	var info struct {
		Chain string `json:"chain"`
	}
	res, err = c.Call(ctx, "getblockchaininfo")
	if err != nil {
		return desc, fmt.Errorf("bitcoind: getblockchaininfo: %w", err)
	}
	if err := json.Unmarshal(res, &info); err != nil {
		return desc, sdk.Errorf(sdk.KindInternal, "getblockchaininfo: %w", err)
	}
	desc.Network = chainNetwork(info.Chain)
	if cfg.Network != "" && cfg.Network != desc.Network {
		return desc, sdk.Errorf(sdk.KindInvalidArgument,
			"bitcoind config: network: daemon is on %q (chain %q), configuration expects %q",
			desc.Network, info.Chain, cfg.Network)
	}
	smart, err := probeSmartFee(ctx, c)
	if err != nil {
		return desc, fmt.Errorf("bitcoind: probing estimatesmartfee: %w", err)
	}
	if smart {
		desc.Capabilities = append(desc.Capabilities, sdk.CapEstimateSmartFee)
	}
	return desc, nil
}

// SetDaemonURLs replaces the URL list and switches to its first entry.
func (b *Backend) SetDaemonURLs(_ context.Context, urls []string) error {
	c, cfg, err := b.conn()
	if err != nil {
		return err
	}
	eps, err := daemonrpc.ParseURLList(urls, DefaultPort(cfg.Network), cfg.CookieFile != "")
	if err != nil {
		return sdk.Errorf(sdk.KindInvalidArgument, "daemon_url: %w", err)
	}
	return c.SetURLs(eps)
}

// Shutdown stops in-flight calls and closes idle connections.
func (b *Backend) Shutdown(context.Context) error {
	b.mu.Lock()
	c := b.client
	b.client = nil
	b.mu.Unlock()
	if c != nil {
		c.Close()
	}
	return nil
}

// Tip returns the best chain tip from getblockchaininfo (height and hash
// from one answer, so they agree).
func (b *Backend) Tip(ctx context.Context) (sdk.Tip, error) {
	var info struct {
		Blocks        int64  `json:"blocks"`
		BestBlockHash string `json:"bestblockhash"`
	}
	if err := b.call(ctx, &info, "getblockchaininfo"); err != nil {
		return sdk.Tip{}, err
	}
	h, err := sdk.ParseHash(info.BestBlockHash)
	if err != nil {
		return sdk.Tip{}, sdk.Errorf(sdk.KindInternal, "getblockchaininfo.bestblockhash: %w", err)
	}
	return sdk.Tip{Height: info.Blocks, Hash: h}, nil
}

// Transaction returns getrawtransaction's result unchanged.
func (b *Backend) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	c, _, err := b.conn()
	if err != nil {
		return nil, err
	}
	v := 0
	if verbose {
		v = 1
	}
	res, err := c.Call(ctx, "getrawtransaction", txid.String(), v)
	if err != nil {
		return nil, err
	}
	return []byte(res), nil
}

// Broadcast submits rawTxHex; a daemon error becomes KindRejected with the
// daemon's code and message (Message is the daemon's message).
func (b *Backend) Broadcast(ctx context.Context, rawTxHex string) (string, error) {
	var txid string
	err := b.call(ctx, &txid, "sendrawtransaction", rawTxHex)
	var e *sdk.Error
	if errors.As(err, &e) && e.Kind == sdk.KindDaemon {
		return "", &sdk.Error{Kind: sdk.KindRejected, Message: e.DaemonMessage,
			DaemonCode: e.DaemonCode, DaemonMessage: e.DaemonMessage}
	}
	return txid, err
}

// MempoolTxids lists the daemon's mempool.
func (b *Backend) MempoolTxids(ctx context.Context) ([]sdk.Hash, error) {
	var ids []string
	if err := b.call(ctx, &ids, "getrawmempool"); err != nil {
		return nil, err
	}
	out := make([]sdk.Hash, len(ids))
	for i, s := range ids {
		h, err := sdk.ParseHash(s)
		if err != nil {
			return nil, sdk.Errorf(sdk.KindInternal, "getrawmempool: %w", err)
		}
		out[i] = h
	}
	return out, nil
}

// mempoolChunk is the number of transactions fetched per batch.
const mempoolChunk = 500

// MempoolTransactions fetches raw transactions in batches; a transaction
// the daemon no longer has is a nil entry.
func (b *Backend) MempoolTransactions(ctx context.Context, txids []sdk.Hash) ([][]byte, error) {
	c, _, err := b.conn()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(txids))
	for start := 0; start < len(txids); start += mempoolChunk {
		end := min(start+mempoolChunk, len(txids))
		params := make([][]any, 0, end-start)
		for _, id := range txids[start:end] {
			params = append(params, []any{id.String(), 0})
		}
		reps, err := c.BatchSame(ctx, "getrawtransaction", params)
		if err != nil {
			return nil, err
		}
		for _, r := range reps {
			var raw []byte
			if r.Err == nil {
				if raw, err = decodeHexJSON(r.Result); err != nil {
					return nil, sdk.Errorf(sdk.KindInternal, "getrawtransaction: %w", err)
				}
			}
			out = append(out, raw)
		}
	}
	return out, nil
}

// parseHashJSON parses a JSON string holding a display-order hash.
func parseHashJSON(res json.RawMessage) (sdk.Hash, error) {
	var s string
	if err := json.Unmarshal(res, &s); err != nil {
		return sdk.Hash{}, sdk.Errorf(sdk.KindInternal, "want a hash string, got %.100s", res)
	}
	h, err := sdk.ParseHash(s)
	if err != nil {
		return sdk.Hash{}, sdk.Errorf(sdk.KindInternal, "%w", err)
	}
	return h, nil
}

// decodeHexJSON decodes a JSON string of hex digits without an intermediate
// Go string (blocks are large).
func decodeHexJSON(res json.RawMessage) ([]byte, error) {
	if len(res) < 2 || res[0] != '"' || res[len(res)-1] != '"' {
		return nil, fmt.Errorf("want a hex string, got %.100s", res)
	}
	body := res[1 : len(res)-1]
	out := make([]byte, len(body)/2)
	if _, err := hex.Decode(out, body); err != nil {
		return nil, fmt.Errorf("bad hex: %w", err)
	}
	return out, nil
}
