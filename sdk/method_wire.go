package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"runtime/debug"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// MethodsPlugin is the go-plugin GRPCPlugin for the method provider service.
// On the host side GRPCClient returns a *MethodsClient. On the plugin side
// use ServePlugin (or VersionedPluginsFor), which also serves the lifecycle;
// a bare MethodsPlugin{Impl: x} serves x's lifecycle if x implements
// Lifecycle.
type MethodsPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl   MethodProvider
	served *servedPlugin
}

var _ plugin.GRPCPlugin = (*MethodsPlugin)(nil)

// GRPCServer registers the Plugin (once per server) and MethodProvider
// services for p.Impl.
func (p *MethodsPlugin) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	sp := p.served
	if sp == nil {
		var err error
		if sp, err = newServedPlugin(PluginOpts{Methods: p.Impl}); err != nil {
			return err
		}
	}
	sp.registerLifecycle(b, s)
	pluginv1.RegisterMethodProviderServer(s, &methodsServer{impl: p.Impl})
	return nil
}

// GRPCClient returns the host-side adapter, a *MethodsClient (see
// ChainPlugin.GRPCClient for ctx).
func (p *MethodsPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewMethodsClient(ctx, c, b), nil
}

// methodsServer serves a MethodProvider; every error leaves through
// ToStatus, and a panicking Call becomes a KindInternal error instead of
// taking the whole plugin down.
type methodsServer struct {
	pluginv1.UnimplementedMethodProviderServer
	impl MethodProvider
}

func (s *methodsServer) ListMethods(ctx context.Context, _ *pluginv1.MethodListRequest) (*pluginv1.MethodListResponse, error) {
	specs, err := s.impl.Methods(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	out := make([]*pluginv1.MethodSpec, len(specs))
	for i, m := range specs {
		out[i] = &pluginv1.MethodSpec{
			Name: m.Name, MinArgs: int32(m.MinArgs), MaxArgs: int32(m.MaxArgs),
			ParamNames: m.ParamNames, Cost: m.Cost, MinProtocol: m.MinProtocol,
		}
	}
	return &pluginv1.MethodListResponse{Methods: out}, nil
}

func (s *methodsServer) CallMethod(ctx context.Context, r *pluginv1.MethodCallRequest) (resp *pluginv1.MethodCallResponse, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Printf("[ERROR] panic in method %s: %v\n%s", r.GetMethod(), v, debug.Stack())
			resp, err = nil, ToStatus(Errorf(KindInternal, "panic in method %s: %v", r.GetMethod(), v))
		}
	}()
	si := r.GetSession()
	res, err := s.impl.Call(ctx, r.GetMethod(), r.GetParamsJson(), SessionInfo{
		ID: si.GetId(), Protocol: si.GetProtocol(), RemoteAddr: si.GetRemoteAddr(),
	})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &pluginv1.MethodCallResponse{ResultJson: res}, nil
}

// MethodsClient is the host-side adapter of a method-provider plugin: its
// lifecycle (Describe, Configure, Shutdown) and the MethodProvider calls.
// Like ChainClient, calls fail at once with KindUnavailable and
// ErrPluginExited once the plugin process is gone.
type MethodsClient struct {
	// base carries the process context and error conversion shared by the
	// host-side adapters; its Plugin-service calls are the lifecycle of
	// any plugin kind.
	base    *ChainClient
	methods pluginv1.MethodProviderClient
	broker  *plugin.GRPCBroker

	mu     sync.Mutex
	hostID uint32
	host   Host
}

var _ MethodProvider = (*MethodsClient)(nil)

// NewMethodsClient returns the adapter for a connection to a plugin. proc is
// as for NewChainClient; broker (go-plugin's, nil in tests without one) is
// needed only by ConfigureWithHost.
func NewMethodsClient(proc context.Context, cc grpc.ClientConnInterface, broker *plugin.GRPCBroker) *MethodsClient {
	return &MethodsClient{
		base:    NewChainClient(proc, cc),
		methods: pluginv1.NewMethodProviderClient(cc),
		broker:  broker,
	}
}

// Describe calls Plugin.Describe.
func (c *MethodsClient) Describe(ctx context.Context) (Description, error) {
	return c.base.Describe(ctx)
}

// Configure calls Plugin.Configure without host services (broker id 0).
func (c *MethodsClient) Configure(ctx context.Context, config []byte) error {
	return c.base.Configure(ctx, config)
}

// ConfigureWithHost serves host on the plugin's GRPCBroker (once per
// client: later calls reuse the first connection and ignore host) and calls
// Plugin.Configure with its broker id, so that the plugin's HostAware
// implementations receive a Host before their Configure runs.
func (c *MethodsClient) ConfigureWithHost(ctx context.Context, config []byte, host Host) error {
	if host == nil {
		return c.Configure(ctx, config)
	}
	if c.broker == nil {
		return Errorf(KindInternal, "ConfigureWithHost: no GRPCBroker (the client was built without one)")
	}
	c.mu.Lock()
	if c.hostID == 0 {
		c.hostID, c.host = ServeHost(c.broker, host), host
	}
	id := c.hostID
	c.mu.Unlock()
	_, err := unary(c.base, ctx, func(ctx context.Context) (*pluginv1.ConfigureResponse, error) {
		return c.base.plugin.Configure(ctx, &pluginv1.ConfigureRequest{ConfigJson: config, BrokerId: id}, c.base.opts...)
	})
	return err
}

// Shutdown calls Plugin.Shutdown with ctx's deadline.
func (c *MethodsClient) Shutdown(ctx context.Context) error { return c.base.Shutdown(ctx) }

// Methods implements MethodProvider (MethodProvider.ListMethods). It does
// not validate the specs: the host's router does (MethodSpec.Validate).
func (c *MethodsClient) Methods(ctx context.Context) ([]MethodSpec, error) {
	r, err := unary(c.base, ctx, func(ctx context.Context) (*pluginv1.MethodListResponse, error) {
		return c.methods.ListMethods(ctx, &pluginv1.MethodListRequest{}, c.base.opts...)
	})
	if err != nil {
		return nil, err
	}
	out := make([]MethodSpec, len(r.GetMethods()))
	for i, m := range r.GetMethods() {
		out[i] = MethodSpec{
			Name: m.GetName(), MinArgs: int(m.GetMinArgs()), MaxArgs: int(m.GetMaxArgs()),
			ParamNames: m.GetParamNames(), Cost: m.GetCost(), MinProtocol: m.GetMinProtocol(),
		}
	}
	return out, nil
}

// errBadJSON is the cause of the error for a result that is not JSON.
var errBadJSON = errors.New("not valid JSON")

// Call implements MethodProvider (MethodProvider.CallMethod). A result that
// is not valid JSON is a KindInternal error; an empty result is null.
func (c *MethodsClient) Call(ctx context.Context, method string, params json.RawMessage, session SessionInfo) (json.RawMessage, error) {
	r, err := unary(c.base, ctx, func(ctx context.Context) (*pluginv1.MethodCallResponse, error) {
		return c.methods.CallMethod(ctx, &pluginv1.MethodCallRequest{
			Method: method, ParamsJson: params,
			Session: &pluginv1.MethodSessionInfo{Id: session.ID, Protocol: session.Protocol, RemoteAddr: session.RemoteAddr},
		}, c.base.opts...)
	})
	if err != nil {
		return nil, err
	}
	res := r.GetResultJson()
	if len(res) == 0 {
		return json.RawMessage("null"), nil
	}
	if !json.Valid(res) {
		return nil, badReply(fmt.Sprintf("result for %s", method), errBadJSON)
	}
	return res, nil
}
