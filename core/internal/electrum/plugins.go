package electrum

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/internal/jsonrpc"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// PluginSlotServedBy says, for each of sdk.PluginSlots (the names in the
// core's reserved namespaces, sdk.ReservedNamespaces, that the core leaves
// to a plugin), what serves it; docs/methods.md prints it. Without such a
// plugin a slot answers "unknown method". The namespaces and slots
// themselves are the SDK's (sdk.ReservedNamespace), which Register checks.
var PluginSlotServedBy = map[string]string{
	// Its wire name is fixed by its definition, which predates the
	// reservation.
	"blockchain.transaction.bmm_merkle": "the bmm plugin (docs/bmm.md)",
}

// PluginCall forwards one call of a plugin method to its plugin: args is
// the JSON array of positional parameters, already checked against the
// spec. Errors it returns are the reply (extmethods maps plugin errors).
type PluginCall func(ctx context.Context, method string, args json.RawMessage, info sdk.SessionInfo) (any, error)

// PluginMethod is one registered plugin method.
type PluginMethod struct {
	Plugin string
	Spec   sdk.MethodSpec
}

type pluginRoute struct {
	PluginMethod
	call     PluginCall
	minProto Version  // nil: every version
	names    []string // BindParams names (ParamNames or positional placeholders)
}

// Registry holds the plugin methods next to the core's (coreMethods): a
// request the session's core table lacks is looked up here. Dispatch reads
// an immutable route map; Register and Unregister replace it.
type Registry struct {
	mu     sync.Mutex // serialises Register/Unregister
	routes atomic.Pointer[map[string]*pluginRoute]
}

func newRegistry() *Registry {
	r := &Registry{}
	r.routes.Store(&map[string]*pluginRoute{})
	return r
}

// Register routes plugin's methods (specs) to call, replacing the
// plugin's previous methods (a restarted plugin registers again). It
// changes nothing and returns every problem when a spec is malformed, lies
// in a reserved namespace, is declared twice, or is declared by another
// plugin too. Each message names the plugin and the method.
func (r *Registry) Register(plugin string, specs []sdk.MethodSpec, call PluginCall) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.routes.Load()
	next := make(map[string]*pluginRoute, len(cur)+len(specs))
	for name, rt := range cur {
		if rt.Plugin != plugin {
			next[name] = rt
		}
	}
	var errs []error
	mine := map[string]bool{}
	for _, spec := range specs {
		if err := spec.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("plugin %q: %w", plugin, err))
			continue
		}
		switch other, taken := next[spec.Name]; {
		case sdk.IsReserved(spec.Name):
			errs = append(errs, hostside.CheckReserved(plugin, spec.Name))
			continue
		case mine[spec.Name]:
			errs = append(errs, fmt.Errorf("plugin %q declares method %q twice", plugin, spec.Name))
			continue
		case taken:
			a, b := other.Plugin, plugin
			if b < a {
				a, b = b, a
			}
			errs = append(errs, fmt.Errorf("plugin %q and plugin %q both declare method %q", a, b, spec.Name))
			continue
		}
		mine[spec.Name] = true
		next[spec.Name] = newPluginRoute(plugin, spec, call)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	r.routes.Store(&next)
	return nil
}

func newPluginRoute(plugin string, spec sdk.MethodSpec, call PluginCall) *pluginRoute {
	spec.ParamNames = slices.Clone(spec.ParamNames)
	rt := &pluginRoute{PluginMethod: PluginMethod{Plugin: plugin, Spec: spec}, call: call, names: spec.ParamNames}
	if spec.MinProtocol != "" {
		rt.minProto = ParseVersion(spec.MinProtocol)
	}
	if len(rt.names) == 0 {
		rt.names = make([]string, spec.MaxArgs)
		for i := range rt.names {
			rt.names[i] = fmt.Sprintf("arg%d", i)
		}
	}
	return rt
}

// Unregister removes the plugin's methods; they answer "unknown method"
// from then on.
func (r *Registry) Unregister(plugin string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := maps.Clone(*r.routes.Load())
	maps.DeleteFunc(next, func(_ string, rt *pluginRoute) bool { return rt.Plugin == plugin })
	r.routes.Store(&next)
}

// PluginMethods lists the registered plugin methods by name.
func (r *Registry) PluginMethods() []PluginMethod {
	rs := *r.routes.Load()
	out := make([]PluginMethod, 0, len(rs))
	for _, rt := range rs {
		out = append(out, rt.PluginMethod)
	}
	slices.SortFunc(out, func(a, b PluginMethod) int { return cmp.Compare(a.Spec.Name, b.Spec.Name) })
	return out
}

func (r *Registry) route(method string) *pluginRoute { return (*r.routes.Load())[method] }

// callPlugin serves one request for a plugin method: protocol check,
// arity, the declared cost, then the plugin call.
func (h *handler) callPlugin(ctx context.Context, rt *pluginRoute, params json.RawMessage) (any, error) {
	s := h.sess
	name := rt.Spec.Name
	h.mu.Lock()
	proto := h.protocol
	h.mu.Unlock()
	v := proto
	if v == nil {
		v = ProtocolMin // before server.version: the lowest version
	}
	if rt.minProto != nil && v.Compare(rt.minProto) < 0 {
		return nil, jsonrpc.Errorf(jsonrpc.MethodNotFound, `unknown method "%s"`, name)
	}
	args, jerr := positional(rt, params)
	if jerr != nil {
		return nil, jerr
	}
	s.AddCost(rt.Spec.Cost)
	info := sdk.SessionInfo{ID: s.ID()}
	if proto != nil {
		info.Protocol = proto.String()
	}
	if a := s.RemoteAddr(); a != nil {
		info.RemoteAddr = a.String()
	}
	return rt.call(ctx, name, args, info)
}

// positional binds params (array or, with ParamNames, object) to the
// method's parameters and returns them as a JSON array: absent optional
// parameters are dropped at the end and null in the middle.
func positional(rt *pluginRoute, params json.RawMessage) (json.RawMessage, *jsonrpc.Error) {
	p := bytes.TrimSpace(params)
	if len(p) > 0 && p[0] == '{' && len(rt.Spec.ParamNames) == 0 {
		return nil, jsonrpc.Errorf(jsonrpc.InvalidParams, `method "%s" takes positional arguments only`, rt.Spec.Name)
	}
	args, jerr := jsonrpc.BindParams(rt.Spec.Name, params, rt.names, rt.Spec.MinArgs)
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
