package plugin

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/amber-electrum/amber/plugins/bmm/follow"
	"github.com/amber-electrum/amber/plugins/bmm/mainchain"
	"github.com/amber-electrum/amber/plugins/bmm/proof"
	"github.com/amber-electrum/amber/plugins/bmm/store"
	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// Name and Version identify the plugin in Describe.
const (
	Name    = "bmm"
	Version = "0.1.0"
)

// Method is the JSON-RPC method the plugin serves.
const Method = "blockchain.transaction.bmm_merkle"

// Spec declares Method.
var Spec = sdk.MethodSpec{
	Name:        Method,
	MinArgs:     2,
	MaxArgs:     2,
	ParamNames:  []string{"tx_hash", "height"},
	Cost:        1.0,
	MinProtocol: "1.4",
}

// Plugin is the BMM method provider. Its zero value is not usable; use New.
type Plugin struct {
	sdk.BasicPlugin
	log *slog.Logger

	mu  sync.Mutex
	run *running // nil until configured
}

// running is the state of a configured plugin.
type running struct {
	cfg    Config
	st     *store.Store
	rc     *daemonrpc.Client
	fol    *follow.Follower
	b      *proof.Builder
	cancel context.CancelFunc
	done   chan struct{}
}

var (
	_ sdk.MethodProvider = (*Plugin)(nil)
	_ sdk.Lifecycle      = (*Plugin)(nil)
	_ sdk.HostAware      = (*Plugin)(nil)
)

// New returns an unconfigured plugin logging to log (nil: discard).
func New(log *slog.Logger) *Plugin {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Plugin{BasicPlugin: sdk.BasicPlugin{Name: Name, Version: Version}, log: log}
}

// Describe implements sdk.Lifecycle.
func (p *Plugin) Describe(ctx context.Context) (sdk.Description, error) {
	d, err := p.BasicPlugin.Describe(ctx)
	d.Capabilities = []string{sdk.CapMethodProvider}
	return d, err
}

// Configure implements sdk.Lifecycle: it opens the store, connects to the
// mainchain node and starts following it. A second Configure replaces the
// first configuration.
func (p *Plugin) Configure(ctx context.Context, raw []byte) error {
	cfg, err := ParseConfig(raw)
	if err != nil {
		return err
	}
	host := p.Host()
	if host == nil {
		return sdk.Errorf(sdk.KindUnavailable, "bmm: amberd offered no host services; the plugin needs them to read the sidechain")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
	st, err := store.Open(cfg.DBPath, store.Meta{Sidechain: cfg.Sidechain, StartHeight: cfg.StartHeight}, p.log)
	if err != nil {
		return err
	}
	main, rc, err := mainchain.Dial(cfg.MainchainURL, p.log)
	if err != nil {
		st.Close()
		return sdk.Errorf(sdk.KindInvalidArgument, "bmm config: mainchain_url: %w", err)
	}
	fol := follow.New(main, st, follow.Options{
		Sidechain: cfg.Sidechain, StartHeight: cfg.StartHeight, PollInterval: cfg.PollInterval,
		CallTimeout: cfg.MainTimeout, Logger: p.log,
	})
	runCtx, cancel := context.WithCancel(context.Background())
	r := &running{
		cfg: cfg, st: st, rc: rc, fol: fol, cancel: cancel, done: make(chan struct{}),
		b: &proof.Builder{Side: proof.HostSidechain(host), Main: main, Index: st, Sidechain: cfg.Sidechain,
			MainTimeout: cfg.MainTimeout, Health: fol},
	}
	go func() {
		defer close(r.done)
		_ = fol.Run(runCtx)
	}()
	p.run = r
	p.log.Info("bmm: configured", "sidechain_number", cfg.Sidechain, "start_height", cfg.StartHeight, "db_path", cfg.DBPath)
	return nil
}

// Shutdown implements sdk.Lifecycle.
func (p *Plugin) Shutdown(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked()
	return nil
}

func (p *Plugin) stopLocked() {
	r := p.run
	if r == nil {
		return
	}
	p.run = nil
	r.cancel()
	<-r.done
	r.rc.Close()
	if err := r.st.Close(); err != nil {
		p.log.Warn("bmm: closing the store", "err", err)
	}
}

// Methods implements sdk.MethodProvider.
func (p *Plugin) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{Spec}, nil
}

// Call implements sdk.MethodProvider.
func (p *Plugin) Call(ctx context.Context, method string, params json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	if method != Method {
		return nil, sdk.Errorf(sdk.KindUnimplemented, "bmm: unknown method %q", method)
	}
	args, err := proof.ParseParams(params)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	r := p.run
	p.mu.Unlock()
	if r == nil {
		return nil, sdk.Errorf(sdk.KindUnavailable, "bmm plugin is not configured")
	}
	res, err := r.b.Build(ctx, args)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, sdk.Errorf(sdk.KindInternal, "bmm: encode result: %w", err)
	}
	return out, nil
}
