package charts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/latency"
	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
)

// Query is `amber-bench query -json-out`: one load result per server (the
// Electrum server, the echo server).
type Query struct {
	Command string         `json:"command"`
	Date    time.Time      `json:"date"`
	Results []*load.Result `json:"results"`
}

// Sync is `amber-bench sync -json-out`: the raw block fetch beside amberd's
// indexing of the same chain (the fields the charts use).
type Sync struct {
	Command string    `json:"command"`
	Date    time.Time `json:"date"`
	Chain   struct {
		Height int64 `json:"height"`
		Txs    int64 `json:"txs"`
		Bytes  int64 `json:"bytes"`
	} `json:"chain"`
	RawFetch SyncRun `json:"raw_fetch"`
	Amberd   SyncRun `json:"amberd"`
	// Engine is the store engine amberd ran with ("" for runs before
	// amber-bench recorded it).
	Engine struct {
		Engine  string `json:"engine"`
		CacheMB int    `json:"cache_mb"`
	} `json:"engine"`
	// Ratio is amberd's blocks/s over the raw fetch's.
	Ratio float64 `json:"ratio"`
}

// SyncRun is one side of a sync measurement.
type SyncRun struct {
	Elapsed      time.Duration `json:"elapsed_ns"`
	Blocks       int64         `json:"blocks"`
	Txs          int64         `json:"txs"`
	BlocksPerS   float64       `json:"blocks_per_s"`
	TxsPerS      float64       `json:"txs_per_s"`
	PeakRSSBytes int64         `json:"peak_rss_bytes"`
	IndexBytes   int64         `json:"index_bytes"`
	Series       []SyncPoint   `json:"series"`
}

// SyncPoint is the height reached (and amberd's RSS) T seconds in.
type SyncPoint struct {
	T        float64 `json:"t_s"`
	Height   int64   `json:"height"`
	RSSBytes int64   `json:"rss_bytes"`
	// PluginRSSBytes is the chain plugin's RSS (0 if unknown).
	PluginRSSBytes int64 `json:"plugin_rss_bytes"`
}

// Subscribe is `amber-bench subscribe -json-out`.
type Subscribe struct {
	Command          string        `json:"command"`
	Date             time.Time     `json:"date"`
	Sessions         int64         `json:"sessions"`
	SubsPerSession   int64         `json:"subs_per_session"`
	ConnectElapsedNS time.Duration `json:"connect_elapsed_ns"`
	Memory           struct {
		BeforeRSSBytes  int64   `json:"before_rss_bytes"`
		AfterRSSBytes   int64   `json:"after_rss_bytes"`
		PerSessionBytes float64 `json:"per_session_bytes"`
	} `json:"memory"`
	Events []Event `json:"events"`
}

// Event is one mempool transaction or block and the sessions' time from it
// to their last notification for it.
type Event struct {
	Kind      string           `json:"kind"`
	Height    int64            `json:"height"`
	Sessions  int64            `json:"sessions"`
	Notified  int64            `json:"notified"`
	Latency   latency.Summary  `json:"latency"`
	Histogram []latency.Bucket `json:"histogram"`
}

// ErrInput is wrapped by every error about a result file's content.
var ErrInput = errors.New("bad benchmark result")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

func decode(data []byte, command string, v any, got func() string) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInput, err)
	}
	if c := got(); c != command {
		return bad("command %q, want %q", c, command)
	}
	return nil
}

// ParseQuery reads and checks a query result.
func ParseQuery(data []byte) (*Query, error) {
	var q Query
	if err := decode(data, "query", &q, func() string { return q.Command }); err != nil {
		return nil, err
	}
	if len(q.Results) == 0 {
		return nil, bad("query: no results")
	}
	for i, r := range q.Results {
		if r == nil {
			return nil, bad("query: result %d is null", i)
		}
		if r.Sessions < 0 || r.Elapsed < 0 || r.Requests < 0 || r.ChainHeight < 0 || !finite(r.Rate) || r.Rate < 0 {
			return nil, bad("query: result %d (%q): negative or non-finite figures", i, r.Label)
		}
		if err := checkLatency(r.All, r.Histogram); err != nil {
			return nil, bad("query: result %d (%q): %v", i, r.Label, err)
		}
		for _, m := range r.Methods {
			if err := checkLatency(m.Summary, m.Histogram); err != nil {
				return nil, bad("query: result %d (%q) method %q: %v", i, r.Label, m.Method, err)
			}
		}
	}
	return &q, nil
}

// ParseSync reads and checks a sync result.
func ParseSync(data []byte) (*Sync, error) {
	var s Sync
	if err := decode(data, "sync", &s, func() string { return s.Command }); err != nil {
		return nil, err
	}
	if s.Chain.Height < 0 || s.Chain.Txs < 0 || s.Chain.Bytes < 0 || !finite(s.Ratio) || s.Ratio < 0 {
		return nil, bad("sync: negative or non-finite chain figures")
	}
	for _, run := range []struct {
		name string
		r    *SyncRun
	}{{"raw_fetch", &s.RawFetch}, {"amberd", &s.Amberd}} {
		r := run.r
		if r.Elapsed < 0 || r.Blocks < 0 || r.Txs < 0 || r.PeakRSSBytes < 0 || r.IndexBytes < 0 ||
			!finite(r.BlocksPerS) || !finite(r.TxsPerS) || r.BlocksPerS < 0 || r.TxsPerS < 0 {
			return nil, bad("sync: %s: negative or non-finite figures", run.name)
		}
		for i, p := range r.Series {
			if !finite(p.T) || p.T < 0 || p.T > 1e9 || p.Height < -1 || p.RSSBytes < 0 { // -1: nothing fetched yet
				return nil, bad("sync: %s: series point %d out of range: %+v", run.name, i, p)
			}
			if i > 0 && p.T < r.Series[i-1].T {
				return nil, bad("sync: %s: series point %d goes back in time", run.name, i)
			}
		}
	}
	if len(s.RawFetch.Series) == 0 && len(s.Amberd.Series) == 0 {
		return nil, bad("sync: no series to chart")
	}
	return &s, nil
}

// ParseSubscribe reads and checks a subscribe result.
func ParseSubscribe(data []byte) (*Subscribe, error) {
	var s Subscribe
	if err := decode(data, "subscribe", &s, func() string { return s.Command }); err != nil {
		return nil, err
	}
	if s.Sessions < 0 || s.SubsPerSession < 0 || s.ConnectElapsedNS < 0 || s.Memory.BeforeRSSBytes < 0 ||
		s.Memory.AfterRSSBytes < 0 || !finite(s.Memory.PerSessionBytes) {
		return nil, bad("subscribe: negative or non-finite figures")
	}
	if len(s.Events) == 0 {
		return nil, bad("subscribe: no events")
	}
	for i, e := range s.Events {
		if e.Height < 0 || e.Sessions < 0 || e.Notified < 0 {
			return nil, bad("subscribe: event %d: negative figures", i)
		}
		if err := checkLatency(e.Latency, e.Histogram); err != nil {
			return nil, bad("subscribe: event %d: %v", i, err)
		}
	}
	return &s, nil
}

// checkLatency checks a summary and its histogram: no negative figures,
// buckets in increasing order with positive counts.
func checkLatency(s latency.Summary, h []latency.Bucket) error {
	if s.Count < 0 || s.Mean < 0 || s.P50 < 0 || s.P99 < 0 || s.P999 < 0 || s.Max < 0 {
		return errors.New("negative latency figures")
	}
	var total int64
	for i, b := range h {
		if b.LE < 0 || b.Count <= 0 || (i > 0 && b.LE <= h[i-1].LE) {
			return fmt.Errorf("histogram bucket %d (%+v): want increasing le_ns >= 0 and count > 0", i, b)
		}
		if total += b.Count; total < 0 || total > 1<<53 {
			return errors.New("histogram counts overflow")
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
