package admin

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/amber-electrum/amber/core/internal/pyfmt"

	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/core/internal/session"
)

// IndexStatus is what the admin RPC reads from the index.
type IndexStatus interface {
	Status() index.Status
}

// SessionSource lists the live sessions.
type SessionSource interface {
	Sessions() []*session.Session
}

// PluginState describes one loaded plugin for getinfo.
type PluginState struct {
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	SDKVersion   string   `json:"sdk_version"`
	Capabilities []string `json:"capabilities"`
	PID          int      `json:"pid"`
	State        string   `json:"state"`
}

// ClientStats are the client-protocol counters getinfo reports.
type ClientStats struct {
	RequestCounts map[string]int64
	HistoryCache  CacheStats
	TxHashesCache CacheStats
	MerkleCache   CacheStats
	TxsSent       int64
	// Subs maps a session id to its number of subscriptions.
	Subs map[uint64]int
}

// CacheStats are a cache's counters.
type CacheStats struct{ Lookups, Hits, Entries int64 }

// Options wire the admin RPC to the server.
type Options struct {
	Version  string
	Coin     string
	Start    time.Time
	Daemon   func() string // current daemon URL without credentials
	Index    IndexStatus
	Sessions SessionSource
	Stats    func() ClientStats
	Plugins  func() []PluginState
	Stop     func()
}

// Server is the admin RPC dispatcher.
type Server struct {
	opts    Options
	methods map[string]method
}

type method struct {
	params   []string
	required int
	fn       func(ctx context.Context, args []json.RawMessage) (any, error)
}

// New returns the admin dispatcher.
func New(opts Options) *Server {
	s := &Server{opts: opts}
	s.methods = map[string]method{
		"getinfo": {fn: s.getinfo},
		"stop":    {fn: s.stop},
	}
	return s
}

// Opened implements session.Dispatcher.
func (s *Server) Opened(sess *session.Session) {
	sess.SetClient("RPC")
	sess.SetProtocol("RPC")
}

// Closed implements session.Dispatcher.
func (s *Server) Closed(*session.Session) {}

// Dispatch implements session.Dispatcher.
func (s *Server) Dispatch(ctx context.Context, _ *session.Session, name string, params json.RawMessage) (any, error) {
	m, ok := s.methods[name]
	if !ok {
		return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, "unknown method %q", name)
	}
	args, rerr := jsonrpc.BindParams(name, params, m.params, m.required)
	if rerr != nil {
		return nil, rerr
	}
	return m.fn(ctx, args)
}

func (s *Server) stop(context.Context, []json.RawMessage) (any, error) {
	if s.opts.Stop != nil {
		// Reply first; the shutdown closes this session.
		time.AfterFunc(100*time.Millisecond, s.opts.Stop)
	}
	return "stopping", nil
}

func (s *Server) getinfo(context.Context, []json.RawMessage) (any, error) {
	st := s.opts.Index.Status()
	var cs ClientStats
	if s.opts.Stats != nil {
		cs = s.opts.Stats()
	}
	sessions := s.opts.Sessions.Sessions()
	var errs, logged, pending, subs, withSubs int64
	for _, x := range sessions {
		errs += x.Counters().Errors.Load()
		pending += x.Pending()
		if x.Logged() {
			logged++
		}
		if n := cs.Subs[x.ID()]; n > 0 {
			subs += int64(n)
			withSubs++
		}
	}
	var total int64
	for _, n := range cs.RequestCounts {
		total += n
	}
	counts := cs.RequestCounts
	if counts == nil {
		counts = map[string]int64{}
	}
	var plugins []PluginState
	if s.opts.Plugins != nil {
		plugins = s.opts.Plugins()
	}
	daemon := ""
	if s.opts.Daemon != nil {
		daemon = s.opts.Daemon()
	}
	return map[string]any{
		"coin":            s.opts.Coin,
		"daemon":          daemon,
		"daemon height":   st.DaemonHeight,
		"db height":       st.DBHeight,
		"db_flush_count":  st.Commits,
		"groups":          0,
		"history cache":   cacheLine(cs.HistoryCache),
		"merkle cache":    cacheLine(cs.MerkleCache),
		"tx hashes cache": cacheLine(cs.TxHashesCache),
		"pid":             os.Getpid(),
		"peers":           map[string]int{"bad": 0, "good": 0, "never": 0, "stale": 0, "total": 0},
		"request counts":  counts,
		"request total":   total,
		"sessions": map[string]int64{
			"count": int64(len(sessions)), "count with subs": withSubs, "errors": errs,
			"logged": logged, "pending requests": pending, "subs": subs,
		},
		"txs sent": cs.TxsSent,
		"uptime":   FormatDuration(time.Since(s.opts.Start), " "),
		"version":  s.opts.Version,
		// Amber extras.
		"sync": map[string]any{
			"synced": st.Synced, "db height": st.DBHeight, "daemon height": st.DaemonHeight,
			"percent": percent(st.DBHeight, st.DaemonHeight), "mempool txs": st.MempoolTxs,
			"mempool bytes": st.MempoolBytes,
		},
		"plugins": plugins,
	}, nil
}

func percent(have, want int64) float64 {
	if want <= 0 {
		return 100
	}
	p := float64(have) * 100 / float64(want)
	if p > 100 {
		p = 100
	}
	return float64(int(p*100)) / 100
}

func cacheLine(c CacheStats) string {
	return pyfmt.Thousands(c.Lookups) + " lookups " + pyfmt.Thousands(c.Hits) + " hits " + pyfmt.Thousands(c.Entries) + " entries"
}
