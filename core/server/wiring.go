package server

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/amber-electrum/amber/core/internal/admin"
	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/cost"
	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/internal/transport"
)

func newLogger(cfg *config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("log_level %q: %w", cfg.LogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func (s *Server) electrumOptions() electrum.Options {
	cfg := s.cfg
	var report []electrum.Service
	for _, r := range cfg.ReportServices {
		report = append(report, electrum.Service{Proto: r.Proto, Host: r.Host, Port: r.Port})
	}
	return electrum.Options{
		Index:         s.ix,
		Daemon:        s.daemon,
		Genesis:       cfg.Network.GenesisHash,
		ServerVersion: SoftwareVersion,
		Banner: electrum.BannerOptions{
			Fs: s.fs, File: cfg.Path(cfg.BannerFile),
			TorFile:         cfg.Path(cfg.TorBannerFile),
			DonationAddress: cfg.DonationAddress,
		},
		ReportServices: report,
		MaxSend:        cfg.MaxSend,
		DropClient:     cfg.DropClientRegexp,
		DaemonTimeout:  cfg.RequestTimeout,
		TxCacheBytes:   int64(cfg.TxCacheMB) << 20,
		Peers:          s.peers,
		Logger:         s.log.With("component", "electrum"),
	}
}

// clientStats gathers the Electrum layer's counters for admin getinfo.
func (s *Server) clientStats() admin.ClientStats {
	st := s.el.Stats()
	return admin.ClientStats{
		RequestCounts: st.RequestCounts(),
		TxsSent:       st.TxsSent.Load(),
		HistoryCache:  admin.CacheStats{Lookups: st.HistoryLookups.Load(), Hits: st.HistoryHits.Load()},
		TxHashesCache: admin.CacheStats{Lookups: st.TxidLookups.Load(), Hits: st.TxidHits.Load()},
		TxCache:       admin.NewTxCacheStats(st.TxLookups.Load(), st.TxHits.Load(), st.TxCoalesced.Load(), s.el.TxCacheUsage, int64(s.cfg.TxCacheMB)<<20),
	}
}

func (s *Server) adminOptions() admin.Options {
	return admin.Options{
		Version:       SoftwareVersion,
		Coin:          s.cfg.Network.Coin,
		Start:         s.start,
		DaemonURL:     s.cfg.DaemonURL,
		Switcher:      s.roster.chain,
		Network:       s.cfg.Network,
		Index:         s.ix,
		Sessions:      s.mgr,
		Groups:        s.sessionGroups,
		Peers:         adminPeers{s.peers},
		Stats:         s.clientStats,
		Plugins:       s.pluginStates,
		PluginControl: pluginControl{s},
		Stop:          s.Stop,
		Logger:        s.log.With("component", "admin"),
	}
}

// sessionGroups adapts the session manager's groups for admin.
func (s *Server) sessionGroups() []admin.GroupInfo {
	gs := s.mgr.Groups()
	out := make([]admin.GroupInfo, len(gs))
	for i, g := range gs {
		out[i] = admin.GroupInfo{Name: g.Name, Members: g.Members, RetainedCost: g.RetainedCost}
	}
	return out
}

func (s *Server) pluginStates() []admin.PluginState {
	var out []admin.PluginState
	for _, p := range s.allPlugins() {
		d := p.Describe()
		out = append(out, admin.PluginState{Name: p.Name(), Version: d.Version, SDKVersion: d.SDKVersion,
			Capabilities: d.Capabilities, PID: p.PID(), State: p.State(), Restarts: p.Restarts()})
	}
	return out
}

// prepareListeners builds a listener per configured service: rpc services
// get the admin handlers and open at once; the others open after sync.
func (s *Server) prepareListeners() error {
	cfg := s.cfg
	var tlsOpts transport.Options
	tlsOpts.MaxRecv = cfg.MaxRecv
	tlsOpts.WSAllowedOrigins = cfg.WSAllowedOrigins
	tlsOpts.WSHandshakeTimeout = cfg.HandshakeTimeout
	tlsOpts.Logger = s.log.With("component", "transport")
	for _, svc := range cfg.Services {
		if (svc.Proto == "ssl" || svc.Proto == "wss") && tlsOpts.TLSConfig == nil {
			tc, err := transport.LoadTLS(cfg.SSLCertfile, cfg.SSLKeyfile)
			if err != nil {
				return fmt.Errorf("ssl_certfile/ssl_keyfile: %w", err)
			}
			tlsOpts.TLSConfig = tc
		}
	}
	for _, svc := range cfg.Services {
		l := &listener{
			svc:  transport.Service{Proto: svc.Proto, Host: svc.Host, Port: svc.Port},
			opts: tlsOpts, mgr: s.mgr, log: s.log.With("component", "listener"),
		}
		if svc.Proto == "rpc" {
			if err := admin.CheckListenAddr(svc.Host, cfg.RPCAllowRemote); err != nil {
				return err
			}
			if !admin.IsLoopbackHost(svc.Host) && s.lim.guard.Cookie == "" {
				s.log.Warn("the admin RPC listens on a non-loopback address and has no authentication (rpc_allow_remote; set rpc_auth: cookie)", "host", svc.Host)
			}
			l.opener = s.admin
			l.wrap = s.lim.guard.Wrap // HTTP and non-JSON-RPC lines close the connection
			// Admin sessions: the library's cost defaults, no
			// response-size limit and no request deadline (docs/protocol.md, Sessions and costs).
			l.profile = session.AdminProfile()
			s.observe(&l.profile, svc.Proto)
			s.rpc = append(s.rpc, l)
			continue
		}
		l.opener = s.el // core and plugin methods, through its registry
		l.profile = session.Profile{
			MaxSend:           cfg.MaxSend,
			RequestTimeout:    cfg.RequestTimeout,
			Concurrency:       cfg.InitialConcurrent,
			BandwidthUnitCost: cfg.BandwidthUnitCost,
			ConnectionCost:    session.ConnectionCost,
			SoftLimit:         float64(cfg.CostSoftLimit),
			HardLimit:         float64(cfg.CostHardLimit),
			RequestSleep:      cfg.RequestSleep,
			// Session hardening (issue 11.2-11.5, 12.1).
			MaxBatch:            cfg.MaxBatch,
			BatchItemCost:       session.BatchItemCost,
			SendQueueBytes:      cfg.MaxSendQueue,
			HandshakeTimeout:    cfg.HandshakeTimeout,
			SerialUntilProtocol: true,
			Capped:              true,
		}
		if cfg.ReplyPadding && (svc.Proto == "tcp" || svc.Proto == "ssl") {
			l.pad = &transport.PadOptions{Hold: cfg.ReplyPaddingHold}
		}
		s.observe(&l.profile, svc.Proto)
		s.public = append(s.public, l)
	}
	if len(s.public) == 0 {
		s.log.Warn("no client services configured (services): only the admin RPC will listen")
	}
	return nil
}

// costsOf is the client sessions' cost groups: /24 and /48 subnets (by
// session_group_by_subnet_ipv4/6), loopback and private addresses grouped
// too when session_limits_private is set, so that what a client leaves in
// its group throttles its next connection from the same private subnet
// as it would from a public one (issue 11, the abandon attack).
func costsOf(cfg *config.Config) cost.Config {
	return cost.Config{
		IPv4Prefix: cfg.SessionGroupBySubnetIPv4, IPv6Prefix: cfg.SessionGroupBySubnetIPv6,
		HardLimit: float64(cfg.CostHardLimit), GroupPrivate: cfg.SessionLimitsPrivate,
	}
}

// admissionOf is the session admission of the client services: at
// max_sessions a new client replaces the oldest idle session of the
// most-connected group (issue 11.5), and no address or subnet group may
// hold more than its cap.
func admissionOf(cfg *config.Config, maxSessions int) session.Admission {
	return session.Admission{
		MaxSessions: maxSessions, PerIP: cfg.MaxSessionsPerIP, PerSubnet: cfg.MaxSessionsPerSubnet,
		V4Prefix: cfg.SessionGroupBySubnetIPv4, V6Prefix: cfg.SessionGroupBySubnetIPv6,
		RatePerIP: float64(cfg.ConnectRatePerIP), BurstPerIP: cfg.ConnectBurstPerIP,
		RatePerSubnet: float64(cfg.ConnectRatePerSubnet), BurstPerSubnet: cfg.ConnectBurstPerSubnet,
		LimitPrivate: cfg.SessionLimitsPrivate,
	}
}
