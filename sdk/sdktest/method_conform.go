package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// ConformMethods runs the MethodProvider conformance suite against provider
// (the implementation itself, or NewMethods(t, impl) to go through the
// wire): Methods returns at least one well-formed spec (MethodSpec.Validate:
// dotted names, consistent arity, cost >= 0) without duplicates; calling
// each method with MinArgs and with MaxArgs JSON nulls neither panics nor
// fails with anything but an *sdk.Error of a kind from the table, and a
// success is valid JSON. Through the wire, the served Describe must list
// sdk.CapMethodProvider.
//
// Like amberd it refuses a method in the core's namespaces (server.,
// blockchain., mempool.; sdk.IsReserved), with amberd's message, and it
// holds each call to the request timeout (DefaultRequestTimeout, or
// WithRequestTimeout): a handler still running then fails the test, as one
// that ignores its cancelled context does.
func ConformMethods(t *testing.T, provider sdk.MethodProvider, opts ...Option) {
	t.Helper()
	o := newOptions(opts)
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(t.Context(), conformTimeout)
		t.Cleanup(cancel)
		return c
	}
	if mc, ok := provider.(*hostside.MethodsClient); ok {
		t.Run("Describe", func(t *testing.T) {
			d, err := mc.Describe(ctx(t))
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if d.Name == "" || !slices.Contains(d.Capabilities, sdk.CapMethodProvider) {
				t.Errorf("Describe = %+v: want a name and the %q capability", d, sdk.CapMethodProvider)
			}
		})
	}

	specs, err := provider.Methods(ctx(t))
	if err != nil {
		t.Fatalf("Methods: %v", err)
	}
	if len(specs) == 0 {
		t.Fatalf("Methods: no methods declared")
	}
	seen := map[string]bool{}
	for _, m := range specs {
		if err := m.Validate(); err != nil {
			t.Errorf("Methods: %v", err)
		}
		if sdk.IsReserved(m.Name) {
			t.Errorf("Methods: amberd refuses this plugin at start-up: %v",
				hostside.CheckReserved(pluginName(ctx(t), provider, o), m.Name))
		}
		if seen[m.Name] {
			t.Errorf("Methods: %q declared twice", m.Name)
		}
		seen[m.Name] = true
	}
	if t.Failed() {
		return
	}

	session := sdk.SessionInfo{ID: 1, Protocol: "1.4.2", RemoteAddr: "127.0.0.1:50001"}
	for _, m := range specs {
		for _, n := range slices.Compact([]int{m.MinArgs, m.MaxArgs}) {
			t.Run(fmt.Sprintf("%s/%dnulls", m.Name, n), func(t *testing.T) {
				params := json.RawMessage("[" + strings.TrimSuffix(strings.Repeat("null,", n), ",") + "]")
				res, err, overrun := timedCall(t.Context(), o.requestTimeout, provider, m.Name, params, session)
				if overrun != nil {
					t.Fatal(overrun)
				}
				checkCall(t, m.Name, res, err)
			})
		}
	}
}

// pluginName is the name refusals give the plugin: WithPluginName's, else
// Describe's, else the provider's type.
func pluginName(ctx context.Context, p sdk.MethodProvider, o options) string {
	if o.plugin != "" {
		return o.plugin
	}
	if d, ok := p.(interface {
		Describe(context.Context) (sdk.Description, error)
	}); ok {
		if desc, err := d.Describe(ctx); err == nil && desc.Name != "" {
			return desc.Name
		}
	}
	return fmt.Sprintf("%T", p)
}

// safeCall calls provider and turns a panic into an error.
func safeCall(ctx context.Context, p sdk.MethodProvider, method string, params json.RawMessage, s sdk.SessionInfo) (res json.RawMessage, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in method %s: %v", method, v)
		}
	}()
	return p.Call(ctx, method, params, s)
}

func checkCall(t *testing.T, method string, res json.RawMessage, err error) {
	t.Helper()
	if err == nil {
		if len(res) > 0 && !json.Valid(res) {
			t.Errorf("%s: result %q is not valid JSON", method, res)
		}
		return
	}
	var se *sdk.Error
	switch {
	case strings.Contains(err.Error(), "panic in method"):
		t.Errorf("%s panicked: %v", method, err)
	case !errors.As(err, &se):
		t.Errorf("%s: error %v (%T) is not an *sdk.Error", method, err, err)
	case !slices.Contains(sdk.Kinds(), se.Kind):
		t.Errorf("%s: error kind %d is not in the kind table", method, se.Kind)
	}
}
