package admin

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/amber-electrum/amber/coins"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
)

// Options wire the admin RPC to the server. Every field may be left zero:
// the methods that need a missing dependency answer BAD_REQUEST saying so
// (peers and groups answer empty lists).
type Options struct {
	Version string // "Amber 0.1.0"
	Coin    string // coin class name, "Bitcoin"
	Start   time.Time
	// Daemon returns the current daemon URL without credentials. Optional:
	// without it getinfo shows the label of the configured (or last
	// switched-to) URL, "host:port/".
	Daemon func() string
	// DaemonURL is the configured daemon URL list (DAEMON_URL syntax,
	// comma-separated): daemon_url("") switches back to it.
	DaemonURL string
	// Switcher switches the daemon plugin to new URLs (sdk.ChainBackend).
	Switcher DaemonSwitcher
	// Network is the configured coin network: query decodes its addresses
	// and uses its RPC port as the default daemon port.
	Network *coins.Network
	Index   Index
	// Sessions lists the live sessions (*session.Manager).
	Sessions SessionSource
	// Groups lists the session groups (Manager.Groups adapted to GroupInfo).
	Groups func() []GroupInfo
	// Peers is the peer manager; nil means no peers.
	Peers PeerManager
	// Stats returns the client-protocol counters; admin adds its own
	// request counts to them.
	Stats   func() ClientStats
	Plugins func() []PluginState
	Stop    func()
	// PluginControl serves admin plugins and plugin_restart (plugins.go).
	PluginControl PluginControl
	Logger        *slog.Logger
}

// ClientStats are the client-protocol counters getinfo reports.
type ClientStats struct {
	RequestCounts map[string]int64
	HistoryCache  CacheStats
	TxHashesCache CacheStats
	MerkleCache   CacheStats
	TxsSent       int64
	// TxCache is the blockchain.transaction.get cache, an Amber extra
	// (getinfo's "amber"."tx_cache").
	TxCache TxCacheStats
}

// CacheStats are a cache's counters.
type CacheStats struct{ Lookups, Hits, Entries int64 }

// TxCacheStats are the blockchain.transaction.get cache's counters:
// Coalesced counts misses that joined a daemon call already in flight,
// Bytes is the memory accounted to the entries, LimitBytes the budget
// (tx_cache_mb; 0 = nothing is kept).
type TxCacheStats struct {
	Lookups    int64 `json:"lookups"`
	Hits       int64 `json:"hits"`
	Coalesced  int64 `json:"coalesced"`
	Entries    int64 `json:"entries"`
	Bytes      int64 `json:"bytes"`
	LimitBytes int64 `json:"limit_bytes"`
}

// NewTxCacheStats builds TxCacheStats from the cache's counters, its usage
// function (entries and bytes, as electrum.Server.TxCacheUsage; nil for
// none) and its byte budget.
func NewTxCacheStats(lookups, hits, coalesced int64, usage func() (int, int64), limitBytes int64) TxCacheStats {
	st := TxCacheStats{Lookups: lookups, Hits: hits, Coalesced: coalesced, LimitBytes: limitBytes}
	if usage != nil {
		entries, bytes := usage()
		st.Entries, st.Bytes = int64(entries), bytes
	}
	return st
}

// PluginState describes one loaded plugin for getinfo.
type PluginState struct {
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	SDKVersion   string   `json:"sdk_version"`
	Capabilities []string `json:"capabilities"`
	PID          int      `json:"pid"`
	State        string   `json:"state"`
	Restarts     int64    `json:"restarts"`
}

// Server is the admin RPC: the session.Factory of rpc:// sessions.
type Server struct {
	opts    Options
	log     *slog.Logger
	methods map[string]method

	mu      sync.Mutex
	counts  map[string]int64 // admin requests by method
	current string           // daemon label after the last daemon_url
	urls    []string         // URL list of the last daemon_url
}

type method struct {
	params   []string
	required int
	fn       func(ctx context.Context, sess *session.Session, args []json.RawMessage) (any, error)
}

// invalidMethod is the request-counts key of unknown methods.
const invalidMethod = "invalid method"

// New returns the admin RPC server.
func New(opts Options) *Server {
	s := &Server{opts: opts, log: opts.Logger, counts: map[string]int64{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.methods = map[string]method{
		"add_peer":   {params: []string{"real_name"}, required: 1, fn: s.addPeer},
		"daemon_url": {params: []string{"daemon_url"}, fn: s.daemonURL},
		"disconnect": {params: []string{"session_ids"}, required: 1, fn: s.disconnect},
		"getinfo":    {fn: s.getinfo},
		"groups":     {fn: s.groups},
		"log":        {params: []string{"session_ids"}, required: 1, fn: s.logSessions},
		"peers":      {fn: s.peers},
		"query":      {params: []string{"items", "limit"}, required: 2, fn: s.query},
		"reorg":      {params: []string{"count"}, required: 1, fn: s.reorg},
		"sessions":   {fn: s.sessions},
		"stop":       {fn: s.stop},

		"plugin_restart": {params: []string{"name"}, required: 1, fn: s.pluginRestart},
		"plugins":        {fn: s.plugins},
	}
	return s
}

var _ session.Factory = (*Server)(nil)

// NewHandler opens the handler of an admin session (session.Factory).
func (s *Server) NewHandler(sess *session.Session) session.Handler {
	return &handler{srv: s, sess: sess}
}

// handler answers the requests of one admin session. Admin sessions have
// no protocol state: they show as client and protocol "RPC".
type handler struct {
	srv  *Server
	sess *session.Session
}

func (h *handler) Info() session.Info { return session.Info{Client: "RPC", Protocol: "RPC"} }
func (h *handler) Notified(string)    {}
func (h *handler) Closed()            {}

// Handle answers one admin request.
func (h *handler) Handle(ctx context.Context, name string, params json.RawMessage) (any, error) {
	s := h.srv
	m, ok := s.methods[name]
	if !ok {
		s.count(invalidMethod)
		return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, `unknown method "%s"`, name)
	}
	s.count(name)
	args, rerr := jsonrpc.BindParams(name, params, m.params, m.required)
	if rerr != nil {
		return nil, rerr
	}
	return m.fn(ctx, h.sess, args)
}

func (s *Server) count(name string) {
	s.mu.Lock()
	s.counts[name]++
	s.mu.Unlock()
}

// RequestCounts returns the admin requests by method since start (unknown
// methods under "invalid method").
func (s *Server) RequestCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// LogNew reports whether sessions opened now are logged (admin `log new`
// / `log all`); the session manager applies it.
func (s *Server) LogNew() bool { return s.opts.Sessions.LogNew() }

func (s *Server) stop(context.Context, *session.Session, []json.RawMessage) (any, error) {
	if s.opts.Stop != nil {
		// Reply first; the shutdown closes this session.
		time.AfterFunc(100*time.Millisecond, s.opts.Stop)
	}
	return "stopping", nil
}

func badRequest(format string, args ...any) *jsonrpc.Error {
	return jsonrpc.Errorf(jsonrpc.BadRequest, format, args...)
}
