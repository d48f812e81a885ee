package hostside

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// The go-plugin handshake amberd and every plugin share. MagicCookieKey and
// MagicCookieValue guard against running a plugin binary by hand: the host
// sets the variable, sdk.Serve refuses to start without it. They are not a
// security measure and never change.
const (
	MagicCookieKey   = wire.MagicCookieKey
	MagicCookieValue = wire.MagicCookieValue
)

// Handshake is the go-plugin handshake (protocol sdk.ProtocolVersion).
var Handshake = wire.Handshake

// The go-plugin plugin-set names of the role services.
const (
	PluginChain   = wire.PluginChain
	PluginMethods = wire.PluginMethods
	PluginFees    = wire.PluginFees
)

// CallOptions are the gRPC call options every client adapter puts on its
// calls (the sdk.MaxMessageSize limits); a host also sets them as the
// connection's default call options.
func CallOptions() []grpc.CallOption { return wire.CallOptions() }

// ServerOptions are the gRPC server options of every server on the plugin
// connection (the sdk.MaxMessageSize limits).
func ServerOptions() []grpc.ServerOption { return wire.ServerOptions() }

// PluginSets returns what the host offers for negotiation: every role's
// plugin, whose GRPCClient returns its adapter (*ChainClient,
// *MethodsClient, *FeeClient). Dispensing a role only builds client stubs:
// it does not contact the plugin, so a plugin that serves one role is fine.
func PluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{wire.ProtocolVersion: {
		PluginChain:   &ChainPlugin{},
		PluginMethods: &MethodsPlugin{},
		PluginFees:    &FeesPlugin{},
	}}
}

// ChainPlugin is the host side of the chain backend's go-plugin plugin.
type ChainPlugin struct{ plugin.NetRPCUnsupportedPlugin }

// GRPCServer is the plugin side's job (sdk.Serve); it fails here.
func (*ChainPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return errHostOnly }

// GRPCClient returns the adapter, a *ChainClient. ctx is go-plugin's
// process context, cancelled when the plugin process exits; every call is
// derived from it, so that calls fail at once when the plugin is gone.
func (*ChainPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewChainClient(ctx, c), nil
}

// MethodsPlugin is the host side of the method provider's go-plugin plugin.
type MethodsPlugin struct{ plugin.NetRPCUnsupportedPlugin }

// GRPCServer is the plugin side's job (sdk.Serve); it fails here.
func (*MethodsPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return errHostOnly }

// GRPCClient returns the adapter, a *MethodsClient (see
// ChainPlugin.GRPCClient for ctx).
func (*MethodsPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewMethodsClient(ctx, c, b), nil
}

// FeesPlugin is the host side of the fee estimator's go-plugin plugin.
type FeesPlugin struct{ plugin.NetRPCUnsupportedPlugin }

// GRPCServer is the plugin side's job (sdk.Serve); it fails here.
func (*FeesPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return errHostOnly }

// GRPCClient returns the adapter, a *FeeClient (see ChainPlugin.GRPCClient
// for ctx).
func (*FeesPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewFeeClient(ctx, c), nil
}
