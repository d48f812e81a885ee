package sdk

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// Lifecycle is the part of every plugin the host drives itself: Describe
// after the handshake, Configure, and Shutdown before it stops the process
// (the Plugin service). ChainBackend includes it.
type Lifecycle interface {
	// Describe names the plugin. It must be cheap. ServePlugin adds the
	// capabilities of the services it serves and fills in SDKVersion.
	Describe(ctx context.Context) (Description, error)
	// Configure hands the plugin its configuration block (a JSON object).
	// Invalid configuration is a KindInvalidArgument error naming the key.
	Configure(ctx context.Context, config []byte) error
	// Shutdown asks the plugin to finish and release its resources.
	Shutdown(ctx context.Context) error
}

// BasicPlugin is a Lifecycle for plugins without configuration: Describe
// returns Name and Version, Configure accepts anything, Shutdown does
// nothing. It also implements HostAware: Host returns the host services once
// the host has offered them. Embed *BasicPlugin (or BasicPlugin in a struct
// used through a pointer) and override what you need.
type BasicPlugin struct {
	Name, Version string
	host          atomic.Pointer[Host]
}

// Describe implements Lifecycle.
func (b *BasicPlugin) Describe(context.Context) (Description, error) {
	return Description{Name: b.Name, Version: b.Version, SDKVersion: Version}, nil
}

// Configure implements Lifecycle; it ignores the configuration.
func (b *BasicPlugin) Configure(context.Context, []byte) error { return nil }

// Shutdown implements Lifecycle.
func (b *BasicPlugin) Shutdown(context.Context) error { return nil }

// SetHost implements HostAware.
func (b *BasicPlugin) SetHost(h Host) { b.host.Store(&h) }

// Host returns the host services, or nil when the host offered none.
func (b *BasicPlugin) Host() Host {
	if h := b.host.Load(); h != nil {
		return *h
	}
	return nil
}

// PluginOpts configures ServePlugin: which services one plugin process
// serves. At least one of Chain and Methods must be set.
type PluginOpts struct {
	// Chain, if set, is served as the chain backend (CapChainBackend).
	Chain ChainBackend
	// Methods, if set, is served as a method provider (CapMethodProvider).
	Methods MethodProvider
	// Lifecycle answers Describe, Configure and Shutdown. Default: Chain
	// when set, else Methods if it implements Lifecycle.
	Lifecycle Lifecycle
	// Logger is as ServeOpts.Logger.
	Logger hclog.Logger
}

// lifecycle returns the Lifecycle that o serves.
func (o PluginOpts) lifecycle() (Lifecycle, error) {
	if o.Chain == nil && o.Methods == nil {
		return nil, errors.New("sdk: PluginOpts: nothing to serve: set Chain or Methods")
	}
	switch {
	case o.Lifecycle != nil:
		return o.Lifecycle, nil
	case o.Chain != nil:
		return o.Chain, nil
	}
	if lc, ok := o.Methods.(Lifecycle); ok {
		return lc, nil
	}
	return nil, fmt.Errorf("sdk: PluginOpts: %T has no Describe/Configure/Shutdown: set PluginOpts.Lifecycle or embed *sdk.BasicPlugin", o.Methods)
}

// servedPlugin is the shared state of one plugin process's services: the
// Plugin (lifecycle) service is registered once per gRPC server whichever
// service kinds are served.
type servedPlugin struct {
	opts PluginOpts
	lc   Lifecycle
}

func newServedPlugin(opts PluginOpts) (*servedPlugin, error) {
	lc, err := opts.lifecycle()
	if err != nil {
		return nil, err
	}
	return &servedPlugin{opts: opts, lc: lc}, nil
}

func (sp *servedPlugin) registerLifecycle(b *plugin.GRPCBroker, s *grpc.Server) {
	if _, done := s.GetServiceInfo()[pluginv1.Plugin_ServiceDesc.ServiceName]; done {
		return
	}
	pluginv1.RegisterPluginServer(s, &lifecycleServer{sp: sp, broker: b})
}

// hostAware lists the distinct implementations that want the host.
func (sp *servedPlugin) hostAware() []HostAware {
	var out []HostAware
	for _, v := range []any{sp.lc, sp.opts.Chain, sp.opts.Methods} {
		h, ok := v.(HostAware)
		if !ok {
			continue
		}
		dup := slices.ContainsFunc(out, func(o HostAware) bool {
			return reflect.TypeOf(o) == reflect.TypeOf(h) && reflect.TypeOf(h).Comparable() && any(o) == any(h)
		})
		if !dup {
			out = append(out, h)
		}
	}
	return out
}

// lifecycleServer serves the Plugin service for a servedPlugin and
// connects to the host services named in Configure.
type lifecycleServer struct {
	pluginv1.UnimplementedPluginServer
	sp     *servedPlugin
	broker *plugin.GRPCBroker

	mu     sync.Mutex
	hostID uint32
}

func (s *lifecycleServer) Describe(ctx context.Context, _ *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	d, err := s.sp.lc.Describe(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	d.Capabilities = slices.Clone(d.Capabilities)
	if s.sp.opts.Chain != nil && !slices.Contains(d.Capabilities, CapChainBackend) {
		d.Capabilities = append(d.Capabilities, CapChainBackend)
	}
	if s.sp.opts.Methods != nil && !slices.Contains(d.Capabilities, CapMethodProvider) {
		d.Capabilities = append(d.Capabilities, CapMethodProvider)
	}
	if d.SDKVersion == "" {
		d.SDKVersion = Version
	}
	return descriptionToWire(d), nil
}

func (s *lifecycleServer) Configure(ctx context.Context, r *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	if id := r.GetBrokerId(); id != 0 {
		if err := s.connectHost(id); err != nil {
			return nil, ToStatus(err)
		}
	}
	if err := s.sp.lc.Configure(ctx, r.GetConfigJson()); err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.ConfigureResponse{}, nil
}

// connectHost dials the host services once and hands them to every
// HostAware implementation.
func (s *lifecycleServer) connectHost(id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hostID == id {
		return nil
	}
	if s.broker == nil {
		return Errorf(KindUnavailable, "host services offered (broker id %d) but the plugin has no GRPCBroker", id)
	}
	conn, err := s.broker.Dial(id)
	if err != nil {
		return Errorf(KindUnavailable, "connect to host services (broker id %d): %w", id, err)
	}
	host, fees := NewHostClient(conn), NewFeeHostClient(conn)
	for _, h := range s.sp.hostAware() {
		h.SetHost(host)
		if fa, ok := h.(FeeHostAware); ok {
			fa.SetFeeHost(fees)
		}
	}
	s.hostID = id
	return nil
}

func (s *lifecycleServer) Shutdown(ctx context.Context, r *pluginv1.ShutdownRequest) (*pluginv1.ShutdownResponse, error) {
	if r.GetDeadline() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, r.GetDeadline().AsTime())
		defer cancel()
	}
	if err := s.sp.lc.Shutdown(ctx); err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.ShutdownResponse{}, nil
}

// chainService serves the ChainBackend service of a servedPlugin.
type chainService struct {
	plugin.NetRPCUnsupportedPlugin
	sp *servedPlugin
}

func (c *chainService) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	c.sp.registerLifecycle(b, s)
	pluginv1.RegisterChainBackendServer(s, &chainServer{impl: c.sp.opts.Chain})
	return nil
}

func (c *chainService) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return NewChainClient(ctx, cc), nil
}

// VersionedPluginsFor returns the go-plugin plugin sets for opts: on the
// plugin side one entry per service kind set in opts (PluginChain,
// PluginMethods), all sharing one lifecycle; with zero opts (the host side)
// every kind, whose GRPCClient returns *ChainClient and *MethodsClient. Each
// call builds fresh state: use one result per plugin process.
func VersionedPluginsFor(opts PluginOpts) (map[int]plugin.PluginSet, error) {
	set := plugin.PluginSet{}
	if opts.Chain == nil && opts.Methods == nil && opts.Lifecycle == nil {
		set[PluginChain] = &ChainPlugin{}
		set[PluginMethods] = &MethodsPlugin{}
		return map[int]plugin.PluginSet{ProtocolVersion: set}, nil
	}
	sp, err := newServedPlugin(opts)
	if err != nil {
		return nil, err
	}
	if opts.Chain != nil {
		set[PluginChain] = &chainService{sp: sp}
	}
	if opts.Methods != nil {
		set[PluginMethods] = &MethodsPlugin{Impl: opts.Methods, served: sp}
	}
	return map[int]plugin.PluginSet{ProtocolVersion: set}, nil
}

// ServePlugin runs a plugin process serving every service set in opts, as
// Serve does for a chain backend (handshake on stdout, hclog JSON on
// stderr, MaxMessageSize limits, parent watchdog), and exits the process
// when the host stops it. Call it first thing in main. Invalid opts print
// the reason on stderr and exit with status 1.
func ServePlugin(opts PluginOpts) {
	sets, err := VersionedPluginsFor(opts)
	if err == nil && opts.Chain == nil && opts.Methods == nil {
		_, err = opts.lifecycle() // nothing to serve
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk.ServePlugin:", err)
		os.Exit(1)
	}
	logger := opts.Logger
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: os.Stderr, JSONFormat: true})
	}
	log.SetFlags(0)
	log.SetPrefix("")
	log.SetOutput(logger.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}))

	go watchParent(context.Background(), os.Getppid, parentPollInterval, func(old, cur int) {
		logger.Error("host process went away, exiting", "parent_pid", old, "new_parent_pid", cur)
		os.Exit(2)
	})

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: sets,
		GRPCServer:       newGRPCServer,
		Logger:           logger,
	})
}
