package pluginhost

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/sdk"
)

// hostMethods is the MethodProvider Plugin.Methods returns: it calls the
// current instance's SDK adapter (so it follows restarts) and turns
// failures of a dead process into the "not running" error. Its lifecycle
// calls are the plugin's (hostChain's: one Plugin service per process).
type hostMethods struct {
	p *Plugin
	sdk.Lifecycle
}

var _ sdk.MethodProvider = (*hostMethods)(nil)

func (h *hostMethods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return callInst(ctx, h.p, func(i *instance) ([]sdk.MethodSpec, error) { return i.methods.Methods(ctx) })
}

func (h *hostMethods) Call(ctx context.Context, method string, params json.RawMessage, session sdk.SessionInfo) (json.RawMessage, error) {
	return callInst(ctx, h.p, func(i *instance) (json.RawMessage, error) {
		return i.methods.Call(ctx, method, params, session)
	})
}
