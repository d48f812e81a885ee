package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/afero"

	"github.com/amber-electrum/amber/core/internal/admin"
	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/extmethods"
	"github.com/amber-electrum/amber/core/internal/hostsvc"
	"github.com/amber-electrum/amber/core/internal/index"
	"github.com/amber-electrum/amber/core/internal/metrics"
	"github.com/amber-electrum/amber/core/internal/peers"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/core/internal/roles"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/internal/store"
)

// Version is the server software version reported to clients.
const Version = "0.1.0"

// SoftwareVersion is the server.version / server.features string.
const SoftwareVersion = "Amber " + Version

// Run loads the configuration from args and environ and serves until ctx is
// cancelled or an admin stop arrives. It is all cmd/amberd does.
func Run(ctx context.Context, args, environ []string) error {
	cfg, err := config.Load(ctx, config.LoadOptions{Fs: afero.NewOsFs(), Args: args, Environ: environ})
	if err != nil {
		return err
	}
	if err := config.CheckRoot(cfg, os.Geteuid()); err != nil {
		return err
	}
	logger, err := newLogger(cfg, os.Stderr)
	if err != nil {
		return err
	}
	srv, err := New(ctx, cfg, Options{Logger: logger, Fs: afero.NewOsFs()})
	if err != nil {
		return err
	}
	srv.reloadOnHUP(ctx)
	return srv.Serve(ctx)
}

// Options are the server's non-config dependencies.
type Options struct {
	Logger *slog.Logger
	Fs     afero.Fs // banner files; nil means the OS filesystem
}

// Server is a running amberd.
type Server struct {
	cfg    *config.Config
	log    *slog.Logger
	fs     afero.Fs
	start  time.Time
	roster pluginSet // the plugins and their roles (plugins.go)
	store  store.Store
	// storePlan is how cache_mb is divided between the store and the
	// index's initial-sync batches (storePlan.FlushBytes).
	storePlan store.CachePlan
	ix        *index.Index
	mgr       *session.Manager
	el        *electrum.Server
	peers     *peers.Manager
	hosts     *hostsvc.Server // host services for plugins
	daemon    *feeRoute       // the chain backend; fee estimates from a fee plugin when one is loaded
	// ext registers plugin methods into electrum's registry. Atomic: New
	// sets it after the index is open, and a plugin's restart hook
	// (reregister, on its supervisor's goroutine) may run before that.
	ext     atomic.Pointer[extmethods.Plugins]
	admin   *admin.Server
	metrics *metrics.Metrics
	rpc     []*listener
	public  []*listener
	stopReq chan struct{}
	stopOne sync.Once

	lim limits // effective max_sessions, admin guard (limits.go)

	notify func(index.Event) // the Electrum notifier (electrum.Server.Notifier)
	// life bounds background work that lives as long as the server.
	life     context.Context
	lifeStop context.CancelFunc
}

// handleEvent passes an index event to the Electrum notifier and to the
// plugins' event streams; neither blocks the index (the notifier queues
// the fan-out). The index sends events only from Run, which Serve starts
// once New has built both.
func (s *Server) handleEvent(ev index.Event) {
	s.notify(ev)
	s.hosts.Publish(ev)
}

// New starts the daemon plugin, opens the index and prepares (but does not
// open) the listeners. Errors name the config key at fault.
func New(ctx context.Context, cfg *config.Config, opts Options) (s *Server, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Fs == nil {
		opts.Fs = afero.NewOsFs()
	}
	s = &Server{cfg: cfg, log: opts.Logger, fs: opts.Fs, start: time.Now(), stopReq: make(chan struct{})}
	s.life, s.lifeStop = context.WithCancel(context.Background())
	// The named result s is nil when New returns an error: keep our own
	// reference for the cleanup.
	srv := s
	defer func() {
		if err != nil {
			srv.closeBackends()
			srv.removeCookie() // written before the rest of start-up
		}
	}()
	if err := os.MkdirAll(cfg.DBDirectory, 0o755); err != nil {
		return nil, fmt.Errorf("db_directory %q: %w", cfg.DBDirectory, err)
	}
	if err := s.startPlugins(ctx, pluginhost.Start); err != nil {
		return nil, err
	}
	if err := s.configureChain(ctx); err != nil {
		return nil, err
	}
	st, plan, err := openStore(ctx, cfg, s.log.With("component", "store"))
	if err != nil {
		return nil, err
	}
	s.store, s.storePlan = st, plan
	setMemoryLimit(s.log.With("component", "store"), cfg.DBEngine, cfg.CacheMB, plan)
	// Before the session manager: its admission uses the effective
	// max_sessions (clamped to the open-file limit).
	if err := s.prepareLimits(openFileLimit()); err != nil {
		return nil, err
	}
	s.mgr = session.NewManagerWith(s.log, session.Options{
		Costs:          costsOf(cfg),
		SessionTimeout: cfg.SessionTimeout,
		Admission:      admissionOf(cfg, s.lim.maxSessions),
		SendBudget:     int64(cfg.MaxQueuedBytes),
	})
	s.ix, err = index.Open(ctx, index.Options{
		Store:            st,
		Chain:            s.roster.chain,
		Genesis:          cfg.Network.GenesisHash,
		ReorgLimit:       cfg.ReorgLimit,
		PollInterval:     cfg.MempoolPollInterval,
		HistogramRefresh: cfg.Network.HistogramRefresh,
		Logger:           s.log.With("component", "index"),
		Notify:           s.handleEvent,
		ProgressInterval: 10 * time.Second,
		SyncCacheBytes:   s.storePlan.FlushBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("open index in %s: %w", cfg.DBDirectory, err)
	}
	s.hosts = hostsvc.New(hostsvc.Options{Index: s.ix, Logger: s.log.With("component", "hostsvc")})
	s.peers = peers.New(s.peersOptions())
	s.daemon = &feeRoute{chain: s.roster.chain, log: s.log.With("component", "fees")}
	s.el = electrum.New(s.electrumOptions())
	s.ext.Store(extmethods.New(extmethods.Options{Registry: s.el.Registry(), Logger: s.log.With("component", "extmethods")}))
	s.notify = s.el.Notifier(s.life)
	if err := s.configurePlugins(ctx); err != nil {
		return nil, err
	}
	s.admin = admin.New(s.adminOptions())
	s.metrics = s.newMetrics()
	if err := s.prepareListeners(); err != nil {
		return nil, err
	}
	return s, nil
}

// openStore opens the index store of db_engine under db_directory and
// returns how cache_mb is divided (store.PlanCache): FlushBytes is the
// budget of the initial sync's batches.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (store.Store, store.CachePlan, error) {
	var sync store.SyncPolicy
	switch cfg.DBSync {
	case "always":
		sync = store.SyncAlways
	case "never":
		sync = store.SyncNever
	default:
		sync = store.SyncEverySecond
	}
	bulkKB := cfg.DBBulkLoadKB
	if bulkKB == 0 { // db_bulk_load_kb 0: never
		bulkKB = -1
	}
	st, err := store.Open(ctx, cfg.DBDirectory, store.Options{Engine: cfg.DBEngine, Sync: sync, CacheMB: cfg.CacheMB, BulkLoadKB: bulkKB, Logger: log,
		MaxOpenFiles: store.OpenFiles(cfg.DBEngine, openFileLimit(), config.NofileSelf)})
	if err != nil {
		return nil, store.CachePlan{}, fmt.Errorf("open index store in db_directory %s: %w", cfg.DBDirectory, err)
	}
	plan := store.PlanCache(cfg.DBEngine, cfg.CacheMB)
	log.Info("index store open", "engine", cfg.DBEngine, "path", store.Path(cfg.DBDirectory, cfg.DBEngine),
		"db_sync", cfg.DBSync, "cache_mb", cfg.CacheMB, "block_cache_mb", plan.BlockCache>>20,
		"memtable_mb", plan.MemTable>>20, "sync_flush_mb", plan.FlushBytes>>20)
	return st, plan, nil
}

// Serve runs the index and the listeners until ctx is done or an admin
// stop arrives, then shuts down cleanly.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ixDone := make(chan error, 1)
	ixFailed := make(chan struct{})
	go func() {
		err := s.ix.Run(ctx)
		if err != nil && ctx.Err() == nil {
			close(ixFailed) // a fatal index error (store write failed, wrong chain)
		}
		ixDone <- err
	}()
	go s.mgr.Run(ctx)
	go s.serveMetrics(ctx)
	go s.logSessions(ctx)
	for _, l := range s.rpc {
		if err := l.start(ctx); err != nil {
			s.shutdown(cancel, ixDone)
			return err
		}
	}
	s.log.Info("syncing with the daemon; public services open once caught up")
	select {
	case <-s.ix.Synced():
		s.log.Info("caught up", "height", s.ix.Status().DBHeight)
		for _, l := range s.public {
			if err := l.start(ctx); err != nil {
				s.shutdown(cancel, ixDone)
				return err
			}
		}
		go s.peers.Run(ctx) // after our services listen, so self-verification succeeds
	case <-ctx.Done():
	case <-s.stopReq:
	case <-ixFailed:
		s.log.Error("the index stopped on a fatal error; shutting down")
		return s.shutdown(cancel, ixDone)
	}
	// Steady state. A daemon plugin down for good (crash-loop breaker) is
	// logged once per failure and amberd serves on; admin plugin_restart
	// may bring it back (Done then returns a new channel, picked up by the
	// tick), and a fatal index error still shuts amberd down meanwhile.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var reported <-chan struct{}
	chain := s.roster.chain.Plugin()
	for {
		down := chain.Done()
		if down == reported {
			down = nil // already reported: wait for a restart to replace it
		}
		select {
		case <-ctx.Done():
			return s.shutdown(cancel, ixDone)
		case <-ixFailed:
			s.log.Error("the index stopped on a fatal error; shutting down")
			return s.shutdown(cancel, ixDone)
		case <-s.stopReq:
			s.log.Info("stop requested through the admin RPC")
			return s.shutdown(cancel, ixDone)
		case <-down:
			s.log.Error("the daemon plugin is down for good; serving what the index has, daemon calls answer DAEMON_ERROR",
				"plugin", chain.Name(), "state", chain.State(), "err", chain.Err())
			reported = down
		case <-tick.C:
		}
	}
}

// Stop asks Serve to shut down (admin stop).
func (s *Server) Stop() { s.stopOne.Do(func() { close(s.stopReq) }) }

func (s *Server) shutdown(cancel context.CancelFunc, ixDone <-chan error) error {
	s.log.Info("shutting down")
	for _, l := range append(append([]*listener{}, s.public...), s.rpc...) {
		l.stop()
	}
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = s.mgr.Shutdown(sctx)
	scancel()
	cancel()
	var err error
	if e := <-ixDone; e != nil && !errors.Is(e, context.Canceled) {
		err = fmt.Errorf("index: %w", e)
	}
	s.closeBackends()
	s.removeCookie()
	s.log.Info("stopped")
	return err
}

// closeBackends flushes and closes the index and store and stops the
// plugins: the chain backend last, after the index.
func (s *Server) closeBackends() {
	s.lifeStop()
	if s.hosts != nil {
		s.hosts.Close() // ends the plugins' event streams
	}
	var chain *pluginhost.Plugin
	for _, p := range s.roster.all {
		if s.roster.roles.Has(p.Name(), roles.Chain) {
			chain = p // the index may still read from it
			continue
		}
		s.shutdownPlugin(p)
	}
	if s.ix != nil {
		if err := s.ix.Close(); err != nil {
			s.log.Error("closing index", "err", err)
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.log.Error("closing store", "err", err)
		}
	}
	if chain != nil {
		s.shutdownPlugin(chain)
	}
}

func (s *Server) shutdownPlugin(p *pluginhost.Plugin) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		s.log.Warn("plugin shutdown", "plugin", p.Name(), "err", err)
	}
}

// Addrs returns the bound address of each open listener by protocol, for
// tests and logs.
func (s *Server) Addrs() map[string]net.Addr {
	out := map[string]net.Addr{}
	for _, l := range append(append([]*listener{}, s.public...), s.rpc...) {
		if a := l.addr(); a != nil {
			out[l.svc.Proto] = a
		}
	}
	return out
}
