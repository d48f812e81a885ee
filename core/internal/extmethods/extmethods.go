package extmethods

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/sdk"
)

// Options configures New. Registry is required.
type Options struct {
	// Registry is the core's method registry (electrum.Server.Registry).
	Registry *electrum.Registry
	Logger   *slog.Logger
}

// Method is one registered plugin method.
type Method = electrum.PluginMethod

// Plugins registers method-provider plugins into the registry.
type Plugins struct {
	reg *electrum.Registry
	log *slog.Logger
}

// New returns a Plugins registering into opts.Registry.
func New(opts Options) *Plugins {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Plugins{reg: opts.Registry, log: log}
}

// Register lists provider's methods and registers them under the plugin
// name, replacing the plugin's previous methods (a restarted plugin
// registers again). It changes nothing and returns every problem when a
// spec is malformed, lies in a reserved namespace, is declared twice, or
// is declared by another plugin too.
func (p *Plugins) Register(ctx context.Context, plugin string, provider sdk.MethodProvider) error {
	specs, err := provider.Methods(ctx)
	if err != nil {
		return fmt.Errorf("plugin %q: list methods: %w", plugin, err)
	}
	if err := p.reg.Register(plugin, specs, caller(plugin, provider)); err != nil {
		return err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	p.log.Info("plugin methods registered", "plugin", plugin, "methods", names)
	return nil
}

// Unregister removes the plugin's methods; they answer "unknown method"
// from then on.
func (p *Plugins) Unregister(plugin string) { p.reg.Unregister(plugin) }

// Methods lists the registered plugin methods by name.
func (p *Plugins) Methods() []Method { return p.reg.PluginMethods() }
