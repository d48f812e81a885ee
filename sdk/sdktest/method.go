package sdktest

import (
	"fmt"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// NewMethods serves impl as a method provider over a real in-process gRPC
// connection (go-plugin's Serve in test mode, broker included) and returns
// the host-side adapter. impl's own Describe/Configure/Shutdown are served
// when it implements sdk.Lifecycle, a BasicPlugin named after its type
// otherwise. Call ConfigureWithHost on the result (with a FakeHost, say) to
// test host services end to end. Both ends are closed when the test ends.
func NewMethods(t testing.TB, impl sdk.MethodProvider) *sdk.MethodsClient {
	t.Helper()
	opts := sdk.PluginOpts{Methods: impl}
	if _, ok := impl.(sdk.Lifecycle); !ok {
		opts.Lifecycle = &sdk.BasicPlugin{Name: fmt.Sprintf("%T", impl), Version: "0.0.0"}
	}
	return NewPlugin(t, opts).Methods
}

// Plugin is the host side of a plugin served by NewPlugin: the adapter of
// each service kind the plugin serves (nil for the others).
type Plugin struct {
	Chain   *sdk.ChainClient
	Methods *sdk.MethodsClient
}

// NewPlugin serves opts as ServePlugin would, over a real in-process gRPC
// connection, and returns the host-side adapters.
func NewPlugin(t testing.TB, opts sdk.PluginOpts) Plugin {
	t.Helper()
	sets, err := sdk.VersionedPluginsFor(opts)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	set := sets[sdk.ProtocolVersion]
	client := connect(t, set)
	var p Plugin
	for name := range set {
		raw, err := client.Dispense(name)
		if err != nil {
			t.Fatalf("sdktest: dispense %q: %v", name, err)
		}
		switch c := raw.(type) {
		case *sdk.ChainClient:
			p.Chain = c
		case *sdk.MethodsClient:
			p.Methods = c
		default:
			t.Fatalf("sdktest: dispensed %T for %q", raw, name)
		}
	}
	return p
}
