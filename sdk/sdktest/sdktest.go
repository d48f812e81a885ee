package sdktest

import (
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk"
)

// NewChain serves impl over a real in-process gRPC connection (go-plugin's
// TestPluginGRPCConn) and returns the host-side client adapter connected to
// it. Both ends are closed when the test ends.
//
// Unlike a plugin started by Serve, the in-process server uses gRPC's default
// 4 MiB receive limit for requests; replies and streamed blocks are bounded by
// sdk.MaxMessageSize on the client side as in production.
func NewChain(t testing.TB, impl sdk.ChainBackend) sdk.ChainBackend {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		sdk.PluginChain: &sdk.ChainPlugin{Impl: impl},
	})
	t.Cleanup(func() {
		// Stop the server first: client.Close would otherwise stop it from
		// a server goroutine through go-plugin's controller, racing with
		// server.Stop.
		server.Stop()
		_ = client.Close()
	})
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
