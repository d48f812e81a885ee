package sdktest

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
)

// NewChain serves impl over a real in-process gRPC connection (go-plugin's
// Serve in test mode, with the SDK's sdk.MaxMessageSize limits as Serve
// sets them) and returns the host-side client adapter connected to it. Both
// ends are closed when the test ends; go-plugin's log lines reach the test
// log only if the test fails.
func NewChain(t testing.TB, impl sdk.ChainBackend) sdk.ChainBackend {
	t.Helper()
	client := connect(t, plugin.PluginSet{sdk.PluginChain: &sdk.ChainPlugin{Impl: impl}})
	raw, err := client.Dispense(sdk.PluginChain)
	if err != nil {
		t.Fatalf("sdktest: dispense %q: %v", sdk.PluginChain, err)
	}
	cb, ok := raw.(sdk.ChainBackend)
	if !ok {
		t.Fatalf("sdktest: dispensed %T, not an sdk.ChainBackend", raw)
	}
	return cb
}
