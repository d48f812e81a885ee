package extmethods

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/sdk"
)

// Sess is what a plugin method call needs from its session
// (*session.Session satisfies it).
type Sess interface {
	ID() uint64
	Protocol() string
	RemoteAddr() net.Addr
	AddCost(c float64)
}

// Options configures New. Inner is required.
type Options struct {
	// Inner answers every method no plugin declared (the electrum server).
	Inner session.Dispatcher
	// CoreMethods are the names plugins may not declare (every method the
	// inner dispatcher serves in any protocol version).
	CoreMethods []string
	// Gate, if set, is asked before each plugin method call; a non-nil
	// error is the reply (e.g. the core's "use server.version to identify
	// client" rule under drop_client_unknown). nil lets every call through.
	Gate   func(s *session.Session, method string) error
	Logger *slog.Logger
}

// Method is one registered plugin method.
type Method struct {
	Plugin string
	Spec   sdk.MethodSpec
}

// route is a registered method with what dispatch needs precomputed.
type route struct {
	Method
	provider sdk.MethodProvider
	minProto electrum.Version // nil: every version
	names    []string         // BindParams names (ParamNames or positional placeholders)
}

// Dispatcher is a session.Dispatcher serving plugin methods in front of an
// inner dispatcher. Dispatch reads an immutable route table; Register and
// Unregister replace it.
type Dispatcher struct {
	inner session.Dispatcher
	core  map[string]bool
	gate  func(s *session.Session, method string) error
	log   *slog.Logger

	mu     sync.Mutex // serialises Register/Unregister
	routes atomic.Pointer[map[string]*route]
}

var _ session.Dispatcher = (*Dispatcher)(nil)

// New returns a Dispatcher with no plugin methods.
func New(opts Options) *Dispatcher {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := &Dispatcher{inner: opts.Inner, core: map[string]bool{}, gate: opts.Gate, log: log}
	for _, m := range opts.CoreMethods {
		d.core[m] = true
	}
	d.routes.Store(&map[string]*route{})
	return d
}

// Register lists provider's methods and routes them to it under the
// plugin name. It replaces the plugin's previous methods (a restarted
// plugin registers again). It changes nothing and returns every problem
// when a spec is malformed, shadows a core method, is declared twice, or is
// declared by another plugin too.
func (d *Dispatcher) Register(ctx context.Context, plugin string, provider sdk.MethodProvider) error {
	specs, err := provider.Methods(ctx)
	if err != nil {
		return fmt.Errorf("plugin %q: list methods: %w", plugin, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := *d.routes.Load()
	next := make(map[string]*route, len(cur)+len(specs))
	for name, r := range cur {
		if r.Plugin != plugin {
			next[name] = r
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
		case d.core[spec.Name]:
			errs = append(errs, fmt.Errorf("plugin %q declares method %q, which is a core method", plugin, spec.Name))
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
		next[spec.Name] = newRoute(plugin, spec, provider)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d.routes.Store(&next)
	d.log.Info("plugin methods registered", "plugin", plugin, "methods", slices.Sorted(maps.Keys(mine)))
	return nil
}

func newRoute(plugin string, spec sdk.MethodSpec, p sdk.MethodProvider) *route {
	spec.ParamNames = slices.Clone(spec.ParamNames)
	r := &route{Method: Method{Plugin: plugin, Spec: spec}, provider: p, names: spec.ParamNames}
	if spec.MinProtocol != "" {
		r.minProto = electrum.ParseVersion(spec.MinProtocol)
	}
	if len(r.names) == 0 {
		r.names = make([]string, spec.MaxArgs)
		for i := range r.names {
			r.names[i] = fmt.Sprintf("arg%d", i)
		}
	}
	return r
}

// Unregister removes the plugin's methods; they answer "unknown method"
// (through the inner dispatcher) from then on.
func (d *Dispatcher) Unregister(plugin string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	next := maps.Clone(*d.routes.Load())
	maps.DeleteFunc(next, func(_ string, r *route) bool { return r.Plugin == plugin })
	d.routes.Store(&next)
}

// Methods lists the registered methods by name.
func (d *Dispatcher) Methods() []Method {
	rs := *d.routes.Load()
	out := make([]Method, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Method)
	}
	slices.SortFunc(out, func(a, b Method) int { return cmp.Compare(a.Spec.Name, b.Spec.Name) })
	return out
}

// Opened implements session.Dispatcher.
func (d *Dispatcher) Opened(s *session.Session) { d.inner.Opened(s) }

// Closed implements session.Dispatcher.
func (d *Dispatcher) Closed(s *session.Session) { d.inner.Closed(s) }

// Notified implements session.NotificationHandler by passing client
// notifications to the inner dispatcher when it handles them.
func (d *Dispatcher) Notified(s *session.Session, method string) {
	if nh, ok := d.inner.(session.NotificationHandler); ok {
		nh.Notified(s, method)
	}
}

// Dispatch implements session.Dispatcher.
func (d *Dispatcher) Dispatch(ctx context.Context, s *session.Session, method string, params json.RawMessage) (any, error) {
	if r, ok := (*d.routes.Load())[method]; ok {
		if d.gate != nil {
			if err := d.gate(s, method); err != nil {
				return nil, err
			}
		}
		return d.call(ctx, s, r, params)
	}
	return d.inner.Dispatch(ctx, s, method, params)
}
