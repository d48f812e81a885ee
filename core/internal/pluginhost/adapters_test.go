package pluginhost

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/sdk"
)

// testChain and testMethods call a plugin's current process through Call,
// the way the core's role adapters (chainrole, roles) do, for the calls
// these tests make.
type testChain struct{ p *Plugin }

func chainOf(p *Plugin) testChain { return testChain{p} }

func (c testChain) Tip(ctx context.Context) (sdk.Tip, error) {
	return Call(ctx, c.p, func(k Conn) (sdk.Tip, error) { return k.Chain.Tip(ctx) })
}

func (c testChain) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	return CallErr(ctx, c.p, func(k Conn) error { return k.Chain.Blocks(ctx, start, count, yield) })
}

func (c testChain) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	return Call(ctx, c.p, func(k Conn) ([]byte, error) { return k.Chain.Transaction(ctx, txid, verbose) })
}

func (c testChain) Broadcast(ctx context.Context, raw string) (string, error) {
	return Call(ctx, c.p, func(k Conn) (string, error) { return k.Chain.Broadcast(ctx, raw) })
}

type testMethods struct{ p *Plugin }

func methodsOf(p *Plugin) testMethods { return testMethods{p} }

func (m testMethods) Methods(ctx context.Context) ([]sdk.MethodSpec, error) {
	return Call(ctx, m.p, func(k Conn) ([]sdk.MethodSpec, error) { return k.Methods.Methods(ctx) })
}

func (m testMethods) Call(ctx context.Context, method string, params json.RawMessage, s sdk.SessionInfo) (json.RawMessage, error) {
	return Call(ctx, m.p, func(k Conn) (json.RawMessage, error) { return k.Methods.Call(ctx, method, params, s) })
}
