package metrics

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// SessionInfo is what the metrics need of one live session.
type SessionInfo struct {
	Kind              string  // transport kind, as session.Session.Kind ("TCP", "SSL", "WS", "WSS", "RPC")
	Cost              float64 // current cost
	ConcurrencyTarget int     // current concurrency target
	Throttled         bool    // cost above the soft limit
}

// SessionSource lists the live sessions at scrape time.
type SessionSource interface{ Sessions() []SessionInfo }

// SessionsFunc adapts a function to SessionSource.
type SessionsFunc func() []SessionInfo

// Sessions calls f.
func (f SessionsFunc) Sessions() []SessionInfo { return f() }

// IndexStatus is what the metrics need of the index status; the fields
// mirror index.Status.
type IndexStatus struct {
	DBHeight     int64
	DaemonHeight int64
	MempoolTxs   int
	MempoolBytes int64
	Synced       bool   // caught up with the daemon
	Halted       bool   // stopped following the chain
	TxCount      uint64 // transactions indexed
	Reorgs       int64  // reorganisations handled since start
	// Forward sync pace (index.Status.Sync): rates over the last minute,
	// percent and ETA by blocks (ETA 0 when caught up or not moving).
	SyncTxRate, SyncBlockRate, SyncPercent float64
	SyncETA                                time.Duration
}

// IndexSource reports the index status at scrape time.
type IndexSource interface{ IndexStatus() IndexStatus }

// IndexFunc adapts a function to IndexSource.
type IndexFunc func() IndexStatus

// IndexStatus calls f.
func (f IndexFunc) IndexStatus() IndexStatus { return f() }

// PluginInfo is the state of one plugin.
type PluginInfo struct {
	Name     string
	Running  bool
	Restarts int64 // restarts since start
}

// PluginSource lists the plugins at scrape time.
type PluginSource interface{ Plugins() []PluginInfo }

// PluginsFunc adapts a function to PluginSource.
type PluginsFunc func() []PluginInfo

// Plugins calls f.
func (f PluginsFunc) Plugins() []PluginInfo { return f() }

// collector reads the pull sources at scrape time.
type collector struct {
	sessions SessionSource
	index    IndexSource
	plugins  PluginSource
	kinds    []string
	costBkts []float64

	sessionsDesc, throttledDesc, concDesc, costDesc *prometheus.Desc

	idxHeight, daemonHeight, mempoolTxs, mempoolBytes *prometheus.Desc
	synced, halted, reorgs, txCount                   *prometheus.Desc
	syncTxRate, syncBlockRate, syncPercent, syncETA   *prometheus.Desc

	pluginUp, pluginRestarts *prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

func newCollector(opts Options) *collector {
	c := &collector{
		sessions: opts.Sessions,
		index:    opts.Index,
		plugins:  opts.Plugins,
		kinds:    opts.SessionKinds,
		costBkts: opts.CostBuckets,

		sessionsDesc:  desc("sessions", "Live sessions, by transport kind.", "kind"),
		throttledDesc: desc("sessions_throttled", "Live sessions being throttled (cost above the soft limit), by transport kind.", "kind"),
		concDesc:      desc("sessions_concurrency_target", "Sum of the concurrency targets of live sessions, by transport kind.", "kind"),
		costDesc:      desc("session_cost", "Cost of the live sessions at scrape time, by transport kind.", "kind"),

		idxHeight:    desc("index_height", "Height of the last indexed block."),
		daemonHeight: desc("daemon_height", "Chain height reported by the daemon."),
		mempoolTxs:   desc("mempool_transactions", "Transactions in the indexed mempool."),
		mempoolBytes: desc("mempool_bytes", "Size of the indexed mempool in bytes."),
		synced:       desc("index_synced", "1 when the index has caught up with the daemon."),
		halted:       desc("index_halted", "1 when the index stopped following the chain."),
		reorgs:       desc("index_reorgs_total", "Chain reorganisations handled since start."),
		txCount:      desc("index_transactions", "Transactions in the index."),

		syncTxRate:    desc("index_sync_transactions_per_second", "Transactions indexed per second over the last minute."),
		syncBlockRate: desc("index_sync_blocks_per_second", "Blocks indexed per second over the last minute."),
		syncPercent:   desc("index_sync_percent", "Indexed height as a percentage of the daemon's height."),
		syncETA:       desc("index_sync_eta_seconds", "Estimated seconds until the index catches up (0 when caught up)."),

		pluginUp:       desc("plugin_up", "1 when the plugin process is running.", "plugin"),
		pluginRestarts: desc("plugin_restarts_total", "Plugin restarts since start.", "plugin"),
	}
	if len(c.costBkts) == 0 {
		c.costBkts = DefaultCostBuckets
	}
	return c
}

// Describe sends every descriptor the collector may emit.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.sessionsDesc, c.throttledDesc, c.concDesc, c.costDesc,
		c.idxHeight, c.daemonHeight, c.mempoolTxs, c.mempoolBytes,
		c.synced, c.halted, c.reorgs, c.txCount,
		c.syncTxRate, c.syncBlockRate, c.syncPercent, c.syncETA,
		c.pluginUp, c.pluginRestarts,
	} {
		ch <- d
	}
}

// Collect reads the sources.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if c.sessions != nil {
		c.collectSessions(ch)
	}
	if c.index != nil {
		c.collectIndex(ch)
	}
	if c.plugins != nil {
		c.collectPlugins(ch)
	}
}

// kindStats aggregates the sessions of one transport kind.
type kindStats struct {
	n, throttled, conc int
	costSum            float64
	costCounts         []uint64 // per bucket, not cumulative
}

func (c *collector) collectSessions(ch chan<- prometheus.Metric) {
	byKind := make(map[string]*kindStats)
	get := func(k string) *kindStats {
		s := byKind[k]
		if s == nil {
			s = &kindStats{costCounts: make([]uint64, len(c.costBkts))}
			byKind[k] = s
		}
		return s
	}
	for _, k := range c.kinds {
		get(labelValue(k, unknownKind))
	}
	for _, si := range c.sessions.Sessions() {
		s := get(labelValue(si.Kind, unknownKind))
		s.n++
		if si.Throttled {
			s.throttled++
		}
		s.conc += si.ConcurrencyTarget
		s.costSum += si.Cost
		for i, ub := range c.costBkts {
			if si.Cost <= ub {
				s.costCounts[i]++
				break
			}
		}
	}
	for k, s := range byKind {
		ch <- prometheus.MustNewConstMetric(c.sessionsDesc, prometheus.GaugeValue, float64(s.n), k)
		ch <- prometheus.MustNewConstMetric(c.throttledDesc, prometheus.GaugeValue, float64(s.throttled), k)
		ch <- prometheus.MustNewConstMetric(c.concDesc, prometheus.GaugeValue, float64(s.conc), k)
		buckets := make(map[float64]uint64, len(c.costBkts))
		var cum uint64
		for i, ub := range c.costBkts {
			cum += s.costCounts[i]
			buckets[ub] = cum
		}
		ch <- prometheus.MustNewConstHistogram(c.costDesc, uint64(s.n), s.costSum, buckets, k)
	}
}

func (c *collector) collectIndex(ch chan<- prometheus.Metric) {
	st := c.index.IndexStatus()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(c.idxHeight, float64(st.DBHeight))
	gauge(c.daemonHeight, float64(st.DaemonHeight))
	gauge(c.mempoolTxs, float64(st.MempoolTxs))
	gauge(c.mempoolBytes, float64(st.MempoolBytes))
	gauge(c.synced, b2f(st.Synced))
	gauge(c.halted, b2f(st.Halted))
	gauge(c.txCount, float64(st.TxCount))
	gauge(c.syncTxRate, st.SyncTxRate)
	gauge(c.syncBlockRate, st.SyncBlockRate)
	gauge(c.syncPercent, st.SyncPercent)
	gauge(c.syncETA, st.SyncETA.Seconds())
	ch <- prometheus.MustNewConstMetric(c.reorgs, prometheus.CounterValue, float64(st.Reorgs))
}

func (c *collector) collectPlugins(ch chan<- prometheus.Metric) {
	seen := make(map[string]bool)
	for _, p := range c.plugins.Plugins() {
		name := labelValue(p.Name, "unnamed")
		if seen[name] {
			continue // a duplicate label set would fail the whole scrape
		}
		seen[name] = true
		ch <- prometheus.MustNewConstMetric(c.pluginUp, prometheus.GaugeValue, b2f(p.Running), name)
		ch <- prometheus.MustNewConstMetric(c.pluginRestarts, prometheus.CounterValue, float64(p.Restarts), name)
	}
}

// labelValue makes s a valid label value (UTF-8, non-empty): the Must
// constructors panic on invalid UTF-8.
func labelValue(s, empty string) string {
	if s == "" {
		return empty
	}
	if !utf8.ValidString(s) {
		return strings.ToValidUTF8(s, "?")
	}
	return s
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
