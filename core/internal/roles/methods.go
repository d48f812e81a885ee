package roles

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/sdk"
)

// MethodProvider is the method-provider role adapter of p: an
// sdk.MethodProvider that calls p's current process (pluginhost.Call), so
// it follows restarts and fails with the "not running" error while p is
// down. Calls to a plugin that serves no method provider fail with
// KindUnimplemented.
func MethodProvider(p *pluginhost.Plugin) sdk.MethodProvider { return methods{p} }

type methods struct{ p *pluginhost.Plugin }

func (m methods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return pluginhost.Call(ctx, m.p, func(c pluginhost.Conn) ([]sdk.MethodSpec, error) { return c.Methods.Methods(ctx) })
}

func (m methods) Call(ctx context.Context, method string, params json.RawMessage, session sdk.SessionInfo) (json.RawMessage, error) {
	return pluginhost.Call(ctx, m.p, func(c pluginhost.Conn) (json.RawMessage, error) {
		return c.Methods.Call(ctx, method, params, session)
	})
}
