// Package wire holds what both ends of the plugin connection share below
// the SDK's types: the go-plugin handshake, the gRPC size limits, the
// plugin-set names, hash conversions, and the seams through which package
// sdk lends its unexported plugin-side code to sdk/hostside and
// sdk/sdktest (the pattern of grpc-go's internal package: the seams are
// set by package sdk's init, which every importer of hostside runs first,
// because hostside imports sdk). It imports nothing of the SDK, so package
// sdk can import it.
package wire

import (
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ProtocolVersion is the major version of the plugin wire protocol, the
// go-plugin protocol version both ends negotiate (sdk.ProtocolVersion).
const ProtocolVersion = 1

// MaxMessageSize is sdk.MaxMessageSize.
const MaxMessageSize = 64 << 20

// The go-plugin magic cookie: the host sets the variable, a plugin refuses
// to start without it. Not a security measure; it never changes.
const (
	MagicCookieKey   = "AMBER_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "0310af728e4ca129b3a5eb37d08b8ef0e0ea160aec1b7db70d1ebfddd63853c2"
)

// Handshake is the go-plugin handshake of amberd and every plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// go-plugin plugin-set names, one per role service.
const (
	PluginChain   = "chain"
	PluginMethods = "methods"
	PluginFees    = "fees"
)

// ServerOptions are the gRPC server options of every server on the plugin
// connection (the size limits).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize)}
}

// CallOptions are the gRPC call options every client adapter puts on its
// calls (the size limits), whatever the dial options.
func CallOptions() []grpc.CallOption {
	return []grpc.CallOption{grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)}
}

// NewGRPCServer is go-plugin's server factory with the size limits.
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, ServerOptions()...)...)
}

// HashesToWire sends hashes as 32-byte slices in internal byte order.
func HashesToWire[H ~[32]byte](hs []H) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// HashFromBytes reads one 32-byte hash.
func HashFromBytes[H ~[32]byte](b []byte) (H, error) {
	var h H
	if len(b) != len(h) {
		return h, fmt.Errorf("hash: want 32 bytes, got %d", len(b))
	}
	copy(h[:], b)
	return h, nil
}

// HashesFromWire reads a list of 32-byte hashes; a malformed one is an
// error naming its index.
func HashesFromWire[H ~[32]byte](bs [][]byte) ([]H, error) {
	out := make([]H, len(bs))
	for i, b := range bs {
		h, err := HashFromBytes[H](b)
		if err != nil {
			return nil, fmt.Errorf("hash %d: %w", i, err)
		}
		out[i] = h
	}
	return out, nil
}

// Seams set by package sdk's init (see the package doc). Their arguments
// and results are sdk types behind any where the type would need an import
// of sdk.
var (
	// ToStatus is the conversion of an error into a gRPC status carrying
	// the SDK error kind (sdk's plugin-side servers use it too).
	ToStatus func(error) error
	// FromStatus converts a gRPC call error back into an *sdk.Error.
	FromStatus func(error) error
	// PluginSet returns the plugin-side go-plugin set that serves p (an
	// sdk.Lifecycle and the roles it implements), as sdk.Serve builds it.
	PluginSet func(p any) (plugin.PluginSet, error)
	// HostClient returns the plugin-side client of the host services on
	// cc: an sdk.Host that is also an sdk.FeeHost and an sdk.BalanceHost.
	HostClient func(cc grpc.ClientConnInterface) any
)
