// Command hello-method is a minimal Amber method-provider plugin: it adds
// the JSON-RPC method hello.world(name), answering "hello, <name>", and
// hello.height(), the height of amberd's chain tip read through the host
// services. Build it, then point amberd at it with plugins.hello.path.
package main

import (
	"context"
	"encoding/json"

	"github.com/amber-electrum/amber/sdk"
)

// Hello is the plugin. The embedded BasicPlugin provides Describe,
// Configure and Shutdown, and keeps the host services amberd offers.
type Hello struct {
	sdk.BasicPlugin
}

// New returns the plugin.
func New() *Hello {
	return &Hello{BasicPlugin: sdk.BasicPlugin{Name: "hello", Version: "0.1.0"}}
}

// Methods declares the plugin's JSON-RPC methods.
func (h *Hello) Methods(context.Context) ([]sdk.MethodSpec, error) {
	return []sdk.MethodSpec{
		{Name: "hello.world", MinArgs: 1, MaxArgs: 1, ParamNames: []string{"name"}, Cost: 0.1},
		{Name: "hello.height", Cost: 0.1},
	}, nil
}

// Call answers one request. params is a JSON array whose length amberd has
// already checked against MinArgs and MaxArgs.
func (h *Hello) Call(ctx context.Context, method string, params json.RawMessage, _ sdk.SessionInfo) (json.RawMessage, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil {
		return nil, sdk.Errorf(sdk.KindInvalidArgument, "params must be an array: %w", err)
	}
	switch method {
	case "hello.world":
		var name string
		if err := json.Unmarshal(args[0], &name); err != nil || string(args[0]) == "null" {
			return nil, sdk.Errorf(sdk.KindInvalidArgument, "name must be a string")
		}
		return json.Marshal("hello, " + name)
	case "hello.height":
		host := h.Host()
		if host == nil {
			return nil, sdk.Errorf(sdk.KindUnavailable, "amberd offered no host services")
		}
		tip, err := host.Tip(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(tip.Height)
	}
	return nil, sdk.Errorf(sdk.KindUnimplemented, "unknown method %s", method)
}

func main() {
	h := New()
	sdk.Serve(h)
}
