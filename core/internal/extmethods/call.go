package extmethods

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
)

// call serves one request for a plugin method: protocol check, arity,
// cost, the plugin call, and error mapping.
func (d *Dispatcher) call(ctx context.Context, s Sess, r *route, params json.RawMessage) (any, error) {
	name := r.Spec.Name
	if r.minProto != nil && sessionVersion(s).Compare(r.minProto) < 0 {
		return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, `unknown method "%s"`, name)
	}
	args, jerr := positional(r, params)
	if jerr != nil {
		return nil, jerr
	}
	s.AddCost(r.Spec.Cost)
	info := sdk.SessionInfo{ID: s.ID(), Protocol: s.Protocol()}
	if a := s.RemoteAddr(); a != nil {
		info.RemoteAddr = a.String()
	}
	res, err := r.provider.Call(ctx, name, args, info)
	if err != nil {
		return nil, d.rpcError(r, err)
	}
	return res, nil
}

// sessionVersion is the session's negotiated protocol version; before
// server.version a session is served the lowest version (protocol.md §3).
func sessionVersion(s Sess) electrum.Version {
	if p := s.Protocol(); p != "" {
		return electrum.ParseVersion(p)
	}
	return electrum.ProtocolMin
}

// positional binds params (array or, with ParamNames, object) to the
// method's parameters and returns them as a JSON array: absent optional
// parameters are dropped at the end and null in the middle.
func positional(r *route, params json.RawMessage) (json.RawMessage, *jsonrpc.Error) {
	p := bytes.TrimSpace(params)
	if len(p) > 0 && p[0] == '{' && len(r.Spec.ParamNames) == 0 {
		return nil, jsonrpc.Errorf(jsonrpc.InvalidParams, `method "%s" takes positional arguments only`, r.Spec.Name)
	}
	args, jerr := jsonrpc.BindParams(r.Spec.Name, params, r.names, r.Spec.MinArgs)
	if jerr != nil {
		return nil, jerr
	}
	n := len(args)
	for n > 0 && args[n-1] == nil {
		n--
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, a := range args[:n] {
		if i > 0 {
			b.WriteByte(',')
		}
		if a == nil {
			a = json.RawMessage("null")
		}
		b.Write(bytes.TrimSpace(a))
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// rpcError maps a plugin error through the SDK kind table. Errors that map
// to an internal error are returned as plain errors, so that the session
// logs them and the client sees a generic internal error; the others carry
// the plugin's message.
func (d *Dispatcher) rpcError(r *route, err error) error {
	var je *jsonrpc.Error
	if errors.As(err, &je) {
		return je
	}
	code := sdk.KindOf(err).Info().ElectrumCode
	if code == jsonrpc.InternalError {
		return fmt.Errorf("plugin %q method %s: %w", r.Plugin, r.Spec.Name, err)
	}
	return &jsonrpc.Error{Code: code, Message: err.Error()}
}
