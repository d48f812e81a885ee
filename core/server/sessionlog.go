package server

import (
	"context"
	"time"
)

// logSessions writes a summary line per session every log_sessions
// (LOG_SESSIONS; 0 disables), with client addresses hidden when anon_logs
// is set, and a totals line (docs/protocol.md, Sessions and costs).
func (s *Server) logSessions(ctx context.Context) {
	every := s.cfg.LogSessions
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sessions := s.mgr.Sessions()
		var subs, pending int64
		for _, x := range sessions {
			addr := x.RemoteAddr().String()
			if s.cfg.AnonLogs {
				addr = "xx.xx.xx.xx:xx"
			}
			c := x.Counters()
			n := x.Subscriptions()
			subs += int64(n)
			pending += x.Pending()
			s.log.Info("session", "id", x.ID(), "kind", x.Kind(), "client", x.Client(), "protocol", x.Protocol(),
				"cost", int64(x.Cost()), "xcost", int64(x.ExtraCost()), "target", x.ConcurrencyTarget(),
				"subs", n, "recv", c.RecvCount.Load(), "sent", c.SendCount.Load(), "errors", c.Errors.Load(),
				"age", time.Since(x.Start()).Round(time.Second), "peer", addr)
		}
		st := s.ix.Status()
		s.log.Info("sessions summary", "sessions", len(sessions), "groups", len(s.mgr.Groups()),
			"subs", subs, "pending", pending, "db_height", st.DBHeight, "daemon_height", st.DaemonHeight,
			"mempool_txs", st.MempoolTxs, "uptime", time.Since(s.start).Round(time.Second))
	}
}
