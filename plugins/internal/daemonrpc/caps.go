package daemonrpc

import (
	"context"
	"errors"

	"github.com/amber-electrum/amber/sdk"
)

// IsMethodMissing reports whether err is the daemon saying it does not have
// the method: -32601, or btcd's -1 "Command unimplemented" (its answer for
// getnetworkinfo and a few other Core RPCs it registers but lacks).
func IsMethodMissing(err error) bool {
	var e *sdk.Error
	if !errors.As(err, &e) || e.Kind != sdk.KindDaemon {
		return false
	}
	return e.DaemonCode == CodeMethodNotFound ||
		(e.DaemonCode == -1 && e.DaemonMessage == "Command unimplemented")
}

// Available reports whether the daemon has method, by calling it once with no
// parameters (docs/protocol.md, Daemon connection): it is unavailable only when the
// daemon says the method is missing. The answer is cached for the client's
// lifetime; a failure to reach the daemon is returned and not cached.
func (c *Client) Available(ctx context.Context, method string) (bool, error) {
	if v, ok := c.caps.Load(method); ok {
		return v.(bool), nil
	}
	_, err := c.Call(ctx, method)
	var e *sdk.Error
	if err != nil && (!errors.As(err, &e) || e.Kind != sdk.KindDaemon) {
		return false, err
	}
	ok := !IsMethodMissing(err)
	c.caps.Store(method, ok)
	return ok, nil
}

// SetAvailable records what a real call taught about method (e.g. btcd
// registers estimatesmartfee's parameters, so the no-parameter probe sees
// -32602, but answers -32601 to a real call).
func (c *Client) SetAvailable(method string, ok bool) { c.caps.Store(method, ok) }
