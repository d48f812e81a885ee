package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/amber-electrum/amber/sdk/internal/pluginv1"
)

// PluginChain is the go-plugin plugin-set name of the chain backend service.
const PluginChain = "chain"

// MaxMessageSize is the largest gRPC message, in bytes, either side of the
// plugin connection sends or accepts (64 MiB). It bounds one unary reply and
// one streamed block; a larger message fails with a clear error instead of
// exhausting memory.
const MaxMessageSize = 64 << 20

// MagicCookieKey and MagicCookieValue guard against running a plugin binary by
// hand: the host sets the variable, Serve refuses to start without it. They
// are not a security measure and never change.
const (
	MagicCookieKey   = "AMBER_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "0310af728e4ca129b3a5eb37d08b8ef0e0ea160aec1b7db70d1ebfddd63853c2"
)

// Handshake is the go-plugin handshake shared by amberd and every plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// VersionedPlugins returns the go-plugin plugin sets offered for negotiation:
// {ProtocolVersion: {PluginChain: ...}}. The plugin side passes its
// implementation; the host side passes nil.
func VersionedPlugins(impl ChainBackend) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginChain: &ChainPlugin{Impl: impl}},
	}
}

// ServerOptions are the gRPC server options every plugin-side server uses
// (message size limits).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
	}
}

// CallOptions are the gRPC call options the client adapters put on every
// call (message size limits), so the limits hold whatever the dial options.
func CallOptions() []grpc.CallOption {
	return []grpc.CallOption{
		grpc.MaxCallRecvMsgSize(MaxMessageSize),
		grpc.MaxCallSendMsgSize(MaxMessageSize),
	}
}

// ChainPlugin is the go-plugin GRPCPlugin for the chain backend service. On
// the plugin side Impl is served; on the host side GRPCClient returns the
// client adapter (an sdk.ChainBackend).
type ChainPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl ChainBackend
}

var _ plugin.GRPCPlugin = (*ChainPlugin)(nil)

// GRPCServer registers the Plugin and ChainBackend services for p.Impl.
func (p *ChainPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	srv := &chainServer{impl: p.Impl}
	pluginv1.RegisterPluginServer(s, srv)
	pluginv1.RegisterChainBackendServer(s, srv)
	return nil
}

// GRPCClient returns the client adapter, a ChainBackend. ctx is go-plugin's
// process context, cancelled when the plugin process exits; every call is
// derived from it so that calls fail at once when the plugin is gone.
func (p *ChainPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewChainClient(ctx, c), nil
}
