package electrum

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/afero"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/merkle"
	"github.com/amber-electrum/amber/sdk"
)

// Index is what the handlers read from the core's index (index.Index
// satisfies it).
type Index interface {
	Tip() (height int64, hash sdk.Hash, header []byte)
	Headers(ctx context.Context, start int64, count int) ([]byte, error)
	BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error)
	BlockTxids(ctx context.Context, height int64) ([]sdk.Hash, error)
	History(ctx context.Context, hx index.HashX, limit int) ([]index.Confirmed, []index.MempoolEntry, error)
	MempoolHistory(hx index.HashX) []index.MempoolEntry
	Balance(ctx context.Context, hx index.HashX) (confirmed, unconfirmed int64, nUTXOs int, err error)
	ListUnspent(ctx context.Context, hx index.HashX) ([]index.UTXO, int, error)
	FeeHistogram() []index.FeeBin
}

// Daemon is the part of sdk.ChainBackend the pass-through methods use.
type Daemon interface {
	Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error)
	Broadcast(ctx context.Context, rawTxHex string) (string, error)
	RelayFee(ctx context.Context) (float64, error)
	EstimateFee(ctx context.Context, blocks int, mode string) (float64, error)
	DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error)
}

// Service is one reported service (REPORT_SERVICES): proto is tcp, ssl, ws
// or wss.
type Service struct {
	Proto string
	Host  string
	Port  int
}

// BannerOptions configures server.banner. File and TorFile (empty: File)
// are read through Fs (nil means the OS file system) by New and by
// ReloadBanner, never per request.
type BannerOptions struct {
	Fs              afero.Fs
	File, TorFile   string
	DonationAddress string
}

// Options configures New. Index and Daemon are required.
type Options struct {
	Index   Index
	Daemon  Daemon
	Genesis sdk.Hash
	// ServerVersion is the software version shown to clients, e.g.
	// "Amber 0.1.0".
	ServerVersion  string
	Banner         BannerOptions
	ReportServices []Service
	// MaxSend is the response size limit; the history limit is MaxSend/99
	// (default 8,100,000, Bitcoin's DEFAULT_MAX_SEND).
	MaxSend int
	// DropClient rejects clients whose name it matches at the start.
	DropClient *regexp.Regexp
	// DaemonTimeout bounds every daemon call (default 30s).
	DaemonTimeout time.Duration
	// NotifyConcurrency bounds the sessions notified at once (default 32).
	NotifyConcurrency int
	// TxCacheBytes bounds the raw-transaction cache of
	// blockchain.transaction.get (see txcache.go); 0 turns it off.
	TxCacheBytes int64
	// Peers serves server.peers.subscribe and server.add_peer; nil means
	// peer discovery is off (an empty list, every peer refused).
	Peers  Peers
	Logger *slog.Logger
}

// Peers is what the peer methods need from peer discovery.
type Peers interface {
	// PeersSubscribe returns the server.peers.subscribe result:
	// [ip_or_host, host, [features...]] entries.
	PeersSubscribe() [][]any
	// AddPeer handles server.add_peer: features is the caller's
	// server.features object (numbers decoded as float64), remote the
	// session's address. It reports whether the peer was accepted.
	AddPeer(ctx context.Context, features map[string]any, remote net.Addr) bool
}

// Server answers the Electrum methods of every session.
type Server struct {
	opts   Options
	ix     Index
	daemon Daemon
	log    *slog.Logger

	history *historyCache
	// utxos and balances cache listunspent and get_balance answers, with
	// the history cache's eviction.
	utxos    *hxCache[utxoEntry]
	balances *hxCache[balanceEntry]
	blocks   *blockCache
	fees     *feeCache
	txs      *txCache
	// headerTree caches chunk roots of the block-hash tree for cp_height
	// proofs; reset on reorg.
	headerTree merkle.HeaderTree

	queue   notifyQueue
	relay   timedCache[float64]         // blockchain.relayfee
	mempool timedCache[sdk.MempoolInfo] // mempool.get_info
	// eventSeq counts applied index events.
	eventSeq atomic.Uint64

	tipMu       sync.RWMutex
	tip         headerTip // the tip as last notified (seeded by New)
	tipNotified bool      // tip was set by an index event

	sessMu   sync.Mutex
	sessions map[*handler]struct{} // the open sessions' handlers

	stats Stats
	reg   *Registry // plugin methods

	banner atomic.Pointer[banners] // loaded by ReloadBanner
}

// Stats are cache and request counters for admin getinfo.
type Stats struct {
	HistoryLookups, HistoryHits atomic.Int64
	TxidLookups, TxidHits       atomic.Int64
	TxsSent                     atomic.Int64
	// TxLookups and TxHits count transaction.get cache lookups and hits;
	// TxCoalesced counts misses that joined a daemon call in flight.
	TxLookups, TxHits, TxCoalesced atomic.Int64

	reqMu    sync.Mutex
	requests map[string]int64
}

// invalidMethod is the RequestCounts key of requests for methods the
// session's protocol version does not have (upstream's name).
const invalidMethod = "invalid method"

func (st *Stats) countRequest(method string) {
	st.reqMu.Lock()
	if st.requests == nil {
		st.requests = make(map[string]int64)
	}
	st.requests[method]++
	st.reqMu.Unlock()
}

// RequestCounts returns a copy of the number of requests per method name;
// requests for unknown methods (in the session's protocol version) are
// counted under "invalid method".
func (st *Stats) RequestCounts() map[string]int64 {
	st.reqMu.Lock()
	defer st.reqMu.Unlock()
	out := make(map[string]int64, len(st.requests))
	maps.Copy(out, st.requests)
	return out
}

type headerTip struct {
	height int64
	hash   sdk.Hash
	header []byte
}

// New returns a Server for opts.
func New(opts Options) *Server {
	if opts.MaxSend <= 0 {
		opts.MaxSend = 8_100_000
	}
	if opts.DaemonTimeout <= 0 {
		opts.DaemonTimeout = 30 * time.Second
	}
	if opts.NotifyConcurrency <= 0 {
		opts.NotifyConcurrency = 32
	}
	if opts.Banner.Fs == nil {
		opts.Banner.Fs = afero.NewOsFs()
	}
	if opts.Daemon == nil {
		opts.Daemon = noDaemon{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := &Server{
		opts: opts, ix: opts.Index, daemon: opts.Daemon, log: log,
		history:  newHistoryCache(1000),
		utxos:    newHXCache[utxoEntry](1000),
		balances: newHXCache[balanceEntry](1000),
		blocks:   newBlockCache(1000),
		fees:     newFeeCache(),
		txs:      newTxCache(max(opts.TxCacheBytes, 0)),
		sessions: make(map[*handler]struct{}),
		reg:      newRegistry(),
	}
	if srv.ix != nil {
		srv.tip = srv.currentTip() // the first event compares against it
	}
	srv.ReloadBanner()
	return srv
}

// Registry returns the server's method registry, where method-provider
// plugins register (package extmethods).
func (srv *Server) Registry() *Registry { return srv.reg }

// Stats returns the server's cache counters.
func (srv *Server) Stats() *Stats { return &srv.stats }

// TxCacheUsage returns the transaction cache's entry count and bytes.
func (srv *Server) TxCacheUsage() (entries int, bytes int64) { return srv.txs.usage() }

// historyLimit is the confirmed-history size at which "history too large"
// is returned.
func (srv *Server) historyLimit() int { return srv.opts.MaxSend / 99 }

// currentTip returns the chain tip as last notified. Until the first index
// event arrives (the index sends none while catching up) it is read from the
// index on each call.
func (srv *Server) currentTip() headerTip {
	srv.tipMu.RLock()
	t, notified := srv.tip, srv.tipNotified
	srv.tipMu.RUnlock()
	if notified {
		return t
	}
	h, hash, hdr := srv.ix.Tip()
	return headerTip{height: h, hash: hash, header: hdr}
}

// A daemon call gives up a little before the request's own deadline, so a
// daemon that does not answer yields DAEMON_ERROR (2) rather than the
// session's -102.
func (srv *Server) daemonCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := srv.opts.DaemonTimeout
	if dl, ok := ctx.Deadline(); ok {
		if rem := time.Until(dl); rem-rem/10 < d {
			d = rem - rem/10
		}
	}
	return context.WithTimeout(ctx, d)
}

// noDaemon answers every daemon call with an unavailable error (Options
// without a Daemon).
type noDaemon struct{}

var errNoDaemon = sdk.Errorf(sdk.KindUnavailable, "no daemon configured")

func (noDaemon) Transaction(context.Context, sdk.Hash, bool) ([]byte, error) { return nil, errNoDaemon }
func (noDaemon) Broadcast(context.Context, string) (string, error)           { return "", errNoDaemon }
func (noDaemon) RelayFee(context.Context) (float64, error)                   { return 0, errNoDaemon }
func (noDaemon) EstimateFee(context.Context, int, string) (float64, error)   { return 0, errNoDaemon }
func (noDaemon) DaemonInfo(context.Context) (sdk.DaemonInfo, error) {
	return sdk.DaemonInfo{}, errNoDaemon
}
