package extmethods

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// caller forwards the registry's calls of plugin's methods to provider and
// maps its errors.
func caller(plugin string, provider sdk.MethodProvider) electrum.PluginCall {
	return func(ctx context.Context, method string, args json.RawMessage, info sdk.SessionInfo) (any, error) {
		res, err := provider.Call(ctx, method, args, info)
		if err != nil {
			return nil, rpcError(plugin, method, err)
		}
		return res, nil
	}
}

// rpcError maps a plugin error through amberd's kind table
// (hostside.ElectrumCode). Errors that map
// to an internal error are returned as plain errors, so that the session
// logs them and the client sees a generic internal error; the others carry
// the plugin's message.
func rpcError(plugin, method string, err error) error {
	var je *jsonrpc.Error
	if errors.As(err, &je) {
		return je
	}
	code := hostside.ElectrumCode(sdk.KindOf(err))
	if code == jsonrpc.InternalError {
		return fmt.Errorf("plugin %q method %s: %w", plugin, method, err)
	}
	return &jsonrpc.Error{Code: code, Message: err.Error()}
}
