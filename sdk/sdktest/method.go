package sdktest

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// NewMethods serves impl as a method provider over a real in-process gRPC
// connection (go-plugin's Serve in test mode, broker included) and returns
// amberd's end of it as an sdk.MethodProvider: its calls go through the
// wire as amberd's do. Pass WithHost (a FakeHost, say) to offer host
// services, which the plugin receives before its first Configure. Both
// ends are closed when the test ends.
func NewMethods(t testing.TB, impl sdk.MethodProvider, opts ...ServeOption) sdk.MethodProvider {
	t.Helper()
	c := NewPlugin(t, impl).Methods
	var o serveOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.host != nil {
		c.WithHost(o.host)
	}
	return c
}

// ServeOption configures NewMethods.
type ServeOption func(*serveOptions)

type serveOptions struct {
	host sdk.Host
}

// WithHost offers host to the plugin as its host services, as amberd
// offers its own: a plugin that implements sdk.HostAware receives it
// (SetHost, once) before its first Configure. Without it the plugin gets
// no host.
func WithHost(host sdk.Host) ServeOption {
	return func(o *serveOptions) { o.host = host }
}

// Plugin is the host side of a plugin served by NewPlugin: amberd's adapter
// of each role the plugin serves (nil for the others). Plugin authors
// rarely need it (NewMethods, NewChain); it is for tests of amberd's end
// and of plugins that serve several roles.
type Plugin struct {
	Chain   *hostside.ChainClient
	Methods *hostside.MethodsClient
	Fees    *hostside.FeeClient
}

// NewPlugin serves p as sdk.Serve would (every role p implements), over a
// real in-process gRPC connection, and returns the host-side adapters.
func NewPlugin(t testing.TB, p sdk.Lifecycle) Plugin {
	t.Helper()
	set, err := PluginSet(p)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	hostSet := hostside.PluginSets()[sdk.ProtocolVersion]
	client := connect(t, set, hostSet)
	var out Plugin
	for name := range set {
		raw, err := client.Dispense(name)
		if err != nil {
			t.Fatalf("sdktest: dispense %q: %v", name, err)
		}
		switch c := raw.(type) {
		case *hostside.ChainClient:
			out.Chain = c
		case *hostside.MethodsClient:
			out.Methods = c
		case *hostside.FeeClient:
			out.Fees = c
		default:
			t.Fatalf("sdktest: dispensed %T for %q", raw, name)
		}
	}
	return out
}

// PluginSet returns the plugin side of p as sdk.Serve builds it: one
// go-plugin plugin per role p implements. A test that runs its own
// go-plugin server (another handshake, another protocol version) serves
// it; an error says why p serves no role.
func PluginSet(p sdk.Lifecycle) (plugin.PluginSet, error) {
	return wire.PluginSet(p)
}
