package sdktest

import (
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// NewChain serves impl over a real in-process gRPC connection (go-plugin's
// Serve in test mode, with the sdk.MaxMessageSize limits as sdk.Serve
// sets them) and returns the host-side client adapter connected to it. Both
// ends are closed when the test ends; go-plugin's log lines reach the test
// log only if the test fails.
func NewChain(t testing.TB, impl sdk.ChainBackend) sdk.ChainBackend {
	t.Helper()
	p := NewPlugin(t, impl)
	if p.Chain == nil {
		t.Fatalf("sdktest: %T is served without the chain backend role", impl)
	}
	return p.Chain
}
