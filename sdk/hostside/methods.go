package hostside

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// MethodsClient is the host-side adapter of a method-provider plugin: its
// lifecycle (Describe, Configure, Shutdown) and the sdk.MethodProvider calls.
// Like ChainClient, calls fail at once with sdk.KindUnavailable and
// ErrPluginExited once the plugin process is gone.
type MethodsClient struct {
	// base carries the process context and error conversion shared by the
	// host-side adapters; its Plugin-service calls are the lifecycle of
	// any plugin kind.
	base    *ChainClient
	methods pluginv1.MethodProviderClient
	broker  *plugin.GRPCBroker

	mu      sync.Mutex
	hostID  uint32
	hostErr error
}

var _ sdk.MethodProvider = (*MethodsClient)(nil)

// NewMethodsClient returns the adapter for a connection to a plugin. proc is
// as for NewChainClient; broker (go-plugin's, nil in tests without one) is
// needed only by WithHost.
func NewMethodsClient(proc context.Context, cc grpc.ClientConnInterface, broker *plugin.GRPCBroker) *MethodsClient {
	return &MethodsClient{
		base:    NewChainClient(proc, cc),
		methods: pluginv1.NewMethodProviderClient(cc),
		broker:  broker,
	}
}

// Describe implements sdk.Lifecycle (Plugin.Describe).
func (c *MethodsClient) Describe(ctx context.Context) (sdk.Description, error) {
	return c.base.Describe(ctx)
}

// WithHost offers host to the plugin as its host services and returns c:
// host is served on the plugin's GRPCBroker (once per client: a later call
// keeps the first host) and every later Configure sends its broker id, so
// that a HostAware plugin receives an sdk.Host before its Configure runs.
// Without it Configure offers none.
func (c *MethodsClient) WithHost(host sdk.Host) *MethodsClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case host == nil || c.hostID != 0:
	case c.broker == nil:
		c.hostErr = sdk.Errorf(sdk.KindInternal, "host services offered, but the client was built without a GRPCBroker")
	default:
		c.hostID = ServeHost(c.broker, host)
	}
	return c
}

// Configure implements sdk.Lifecycle (Plugin.Configure), with the broker id
// of the host services offered by WithHost, if any.
func (c *MethodsClient) Configure(ctx context.Context, config []byte) error {
	c.mu.Lock()
	id, err := c.hostID, c.hostErr
	c.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = unary(c.base, ctx, func(ctx context.Context) (*pluginv1.ConfigureResponse, error) {
		return c.base.plugin.Configure(ctx, &pluginv1.ConfigureRequest{ConfigJson: config, BrokerId: id}, c.base.opts...)
	})
	return err
}

// Shutdown implements sdk.Lifecycle (Plugin.Shutdown with ctx's deadline).
func (c *MethodsClient) Shutdown(ctx context.Context) error { return c.base.Shutdown(ctx) }

// Methods implements sdk.MethodProvider (sdk.MethodProvider.ListMethods). It does
// not validate the specs: the host's router does (sdk.MethodSpec.Validate).
func (c *MethodsClient) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	r, err := unary(c.base, ctx, func(ctx context.Context) (*pluginv1.MethodListResponse, error) {
		return c.methods.ListMethods(ctx, &pluginv1.MethodListRequest{}, c.base.opts...)
	})
	if err != nil {
		return nil, err
	}
	out := make([]sdk.MethodSpec, len(r.GetMethods()))
	for i, m := range r.GetMethods() {
		out[i] = sdk.MethodSpec{
			Name: m.GetName(), MinArgs: int(m.GetMinArgs()), MaxArgs: int(m.GetMaxArgs()),
			ParamNames: m.GetParamNames(), Cost: m.GetCost(), MinProtocol: m.GetMinProtocol(),
		}
	}
	return out, nil
}

// errBadJSON is the cause of the error for a result that is not JSON.
var errBadJSON = errors.New("not valid JSON")

// Call implements sdk.MethodProvider (sdk.MethodProvider.CallMethod). A result that
// is not valid JSON is an sdk.KindInternal error; an empty result is null.
func (c *MethodsClient) Call(ctx context.Context, method string, params json.RawMessage, session sdk.SessionInfo) (json.RawMessage, error) {
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
