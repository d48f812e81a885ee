package roles

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/sdk"
)

// lifecycle is the sdk.Lifecycle part of the role adapters: the plugin's
// Describe, Configure and Shutdown on its current process (one Plugin
// service per process, whatever roles it serves).
type lifecycle struct{ p *pluginhost.Plugin }

func (l lifecycle) Describe(ctx context.Context) (sdk.Description, error) {
	return pluginhost.Call(ctx, l.p, func(c pluginhost.Conn) (sdk.Description, error) { return c.Chain.Describe(ctx) })
}

func (l lifecycle) Configure(ctx context.Context, config []byte) error {
	return pluginhost.CallErr(ctx, l.p, func(c pluginhost.Conn) error { return c.Chain.Configure(ctx, config) })
}

func (l lifecycle) Shutdown(ctx context.Context) error {
	return pluginhost.CallErr(ctx, l.p, func(c pluginhost.Conn) error { return c.Chain.Shutdown(ctx) })
}

// MethodProvider is the method-provider role adapter of p: an
// sdk.MethodProvider that calls p's current process (pluginhost.Call), so
// it follows restarts and fails with the "not running" error while p is
// down. Calls to a plugin that serves no method provider fail with
// KindUnimplemented.
func MethodProvider(p *pluginhost.Plugin) sdk.MethodProvider { return methods{lifecycle{p}} }

type methods struct{ lifecycle }

func (m methods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return pluginhost.Call(ctx, m.p, func(c pluginhost.Conn) ([]sdk.MethodSpec, error) { return c.Methods.Methods(ctx) })
}

func (m methods) Call(ctx context.Context, method string, params json.RawMessage, session sdk.SessionInfo) (json.RawMessage, error) {
	return pluginhost.Call(ctx, m.p, func(c pluginhost.Conn) (json.RawMessage, error) {
		return c.Methods.Call(ctx, method, params, session)
	})
}
