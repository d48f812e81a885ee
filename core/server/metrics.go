package server

import (
	"context"
	"strings"
	"time"

	"github.com/amber-electrum/amber/core/internal/metrics"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/core/internal/session"
)

// newMetrics builds the Prometheus exposition when metrics_listen is set;
// nil otherwise (a nil *metrics.Metrics records nothing).
func (s *Server) newMetrics() *metrics.Metrics {
	if s.cfg.MetricsListen == "" {
		return nil
	}
	return metrics.New(metrics.Options{
		Logger:       s.log.With("component", "metrics"),
		SessionKinds: []string{"TCP", "SSL", "WS", "WSS", "RPC"},
		AllowRemote:  s.cfg.MetricsAllowRemote,
		Pprof:        s.cfg.MetricsPprof,
		Sessions: metrics.SessionsFunc(func() []metrics.SessionInfo {
			ss := s.mgr.Sessions()
			out := make([]metrics.SessionInfo, 0, len(ss))
			for _, x := range ss {
				out = append(out, metrics.SessionInfo{Kind: x.Kind(), Cost: x.Cost(),
					ConcurrencyTarget: x.ConcurrencyTarget(), Throttled: x.Throttled()})
			}
			return out
		}),
		Index: metrics.IndexFunc(func() metrics.IndexStatus {
			st := s.ix.Status()
			return metrics.IndexStatus{DBHeight: st.DBHeight, DaemonHeight: st.DaemonHeight,
				MempoolTxs: st.MempoolTxs, MempoolBytes: st.MempoolBytes, Synced: st.Synced,
				Halted: st.Halted, TxCount: st.TxCount, Reorgs: st.Reorgs,
				SyncTxRate: st.Sync.TxRate, SyncBlockRate: st.Sync.BlockRate, SyncPercent: st.Sync.Percent, SyncETA: st.Sync.ETA}
		}),
		Plugins: metrics.PluginsFunc(func() []metrics.PluginInfo {
			var out []metrics.PluginInfo
			for _, p := range s.allPlugins() {
				out = append(out, metrics.PluginInfo{Name: p.Name(),
					Running: p.State() == pluginhost.StateRunning, Restarts: p.Restarts()})
			}
			return out
		}),
	})
}

// observe attaches the metrics hooks to a listener's session profile.
func (s *Server) observe(p *session.Profile, proto string) {
	if s.metrics == nil {
		return
	}
	kind := strings.ToUpper(proto)
	m := s.metrics
	p.Observe = func(method string, code int, dur time.Duration) { m.ObserveRequest(kind, method, code, dur) }
	p.ObserveBytes = m.AddBytes
}

// serveMetrics runs the metrics endpoint until ctx is done.
func (s *Server) serveMetrics(ctx context.Context) {
	if s.metrics == nil {
		return
	}
	if err := s.metrics.Serve(ctx, s.cfg.MetricsListen); err != nil {
		s.log.Error("metrics endpoint", "addr", s.cfg.MetricsListen, "err", err)
	}
}
