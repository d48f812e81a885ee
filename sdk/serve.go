package sdk

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// parentPollInterval is how often the parent watchdog checks the parent PID.
const parentPollInterval = time.Second

// Serve runs p as a plugin process and exits the process when the host
// stops it. p answers the lifecycle calls and serves every role it
// implements: ChainBackend, MethodProvider, FeeEstimator (at least one);
// Describe lists their capabilities (CapChainBackend, CapMethodProvider,
// CapFeeEstimator). When p implements HostAware it receives the host
// services before Configure.
//
// Call Serve first thing in main: stdout carries the go-plugin handshake,
// and anything printed there before it breaks start-up. Serve points the
// standard library logger at stderr as hclog JSON lines (amberd re-emits
// them with their levels; NewLogger writes the same format), sets the
// MaxMessageSize limits on the gRPC server and exits the plugin when its
// parent process (the host) goes away. A p that serves no role prints the
// reason on stderr and exits with status 1.
func Serve(p Lifecycle) {
	set, err := pluginSet(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk.Serve:", err)
		os.Exit(1)
	}
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: os.Stderr, JSONFormat: true})
	log.SetFlags(0)
	log.SetPrefix("")
	log.SetOutput(logger.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}))

	go watchParent(context.Background(), os.Getppid, parentPollInterval, func(old, cur int) {
		logger.Error("host process went away, exiting", "parent_pid", old, "new_parent_pid", cur)
		os.Exit(2)
	})

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{wire.ProtocolVersion: set},
		GRPCServer:       wire.NewGRPCServer,
		Logger:           logger,
	})
}

// watchParent calls orphaned once getppid returns something other than its
// first answer (the parent died and the process was re-parented), or returns
// when ctx is done.
func watchParent(ctx context.Context, getppid func() int, every time.Duration, orphaned func(old, cur int)) {
	first := getppid()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if cur := getppid(); cur != first {
				orphaned(first, cur)
				return
			}
		}
	}
}

// served is one plugin process: its lifecycle and the roles it serves.
type served struct {
	lc      Lifecycle
	chain   ChainBackend
	methods MethodProvider
	fees    FeeEstimator
}

// pluginSet returns the go-plugin set that serves p: one entry per role,
// all sharing one Plugin (lifecycle) service.
func pluginSet(p Lifecycle) (plugin.PluginSet, error) {
	if p == nil {
		return nil, errors.New("nothing to serve: the plugin is nil")
	}
	sp := &served{lc: p}
	sp.chain, _ = p.(ChainBackend)
	sp.methods, _ = p.(MethodProvider)
	sp.fees, _ = p.(FeeEstimator)
	set := plugin.PluginSet{}
	if sp.chain != nil {
		set[wire.PluginChain] = &roleService{sp: sp, register: func(s *grpc.Server) {
			pluginv1.RegisterChainBackendServer(s, &chainServer{impl: sp.chain})
		}}
	}
	if sp.methods != nil {
		set[wire.PluginMethods] = &roleService{sp: sp, register: func(s *grpc.Server) {
			pluginv1.RegisterMethodProviderServer(s, &methodsServer{impl: sp.methods})
		}}
	}
	if sp.fees != nil {
		set[wire.PluginFees] = &roleService{sp: sp, register: func(s *grpc.Server) {
			pluginv1.RegisterFeeEstimatorServer(s, &feeServer{impl: sp.fees})
		}}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("%T serves no role: implement sdk.ChainBackend, sdk.MethodProvider or sdk.FeeEstimator", p)
	}
	return set, nil
}

// capabilities are the role capabilities of sp.
func (sp *served) capabilities() []string {
	var caps []string
	if sp.chain != nil {
		caps = append(caps, CapChainBackend)
	}
	if sp.methods != nil {
		caps = append(caps, CapMethodProvider)
	}
	if sp.fees != nil {
		caps = append(caps, CapFeeEstimator)
	}
	return caps
}

// roleService is the plugin side of one role's go-plugin plugin: it
// registers the Plugin service (once per gRPC server) and the role's.
type roleService struct {
	plugin.NetRPCUnsupportedPlugin
	sp       *served
	register func(*grpc.Server)
}

func (r *roleService) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	if _, done := s.GetServiceInfo()[pluginv1.Plugin_ServiceDesc.ServiceName]; !done {
		pluginv1.RegisterPluginServer(s, &lifecycleServer{sp: r.sp, broker: b})
	}
	r.register(s)
	return nil
}

func (r *roleService) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the plugin side has no client (use sdk/hostside)")
}

// lifecycleServer serves the Plugin service for a served plugin and
// connects to the host services named in Configure.
type lifecycleServer struct {
	pluginv1.UnimplementedPluginServer
	sp     *served
	broker *plugin.GRPCBroker

	mu     sync.Mutex
	hostID uint32
}

func (s *lifecycleServer) Describe(ctx context.Context, _ *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	d, err := s.sp.lc.Describe(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	d.Capabilities = slices.Clone(d.Capabilities)
	for _, c := range s.sp.capabilities() {
		if !slices.Contains(d.Capabilities, c) {
			d.Capabilities = append(d.Capabilities, c)
		}
	}
	if d.SDKVersion == "" {
		d.SDKVersion = Version
	}
	return descriptionToWire(d), nil
}

func (s *lifecycleServer) Configure(ctx context.Context, r *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	if id := r.GetBrokerId(); id != 0 {
		if err := s.connectHost(id); err != nil {
			return nil, toStatus(err)
		}
	}
	if err := s.sp.lc.Configure(ctx, r.GetConfigJson()); err != nil {
		return nil, toStatus(err)
	}
	return &pluginv1.ConfigureResponse{}, nil
}

// connectHost dials the host services once and hands them to the plugin
// when it is HostAware.
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
	if h, ok := s.sp.lc.(HostAware); ok {
		h.SetHost(newHostClient(conn))
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
		return nil, toStatus(err)
	}
	return &pluginv1.ShutdownResponse{}, nil
}
