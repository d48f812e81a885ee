package server

import (
	"context"
	"fmt"

	"github.com/amber-electrum/amber/core/internal/admin"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
)

// pluginControl adapts the loaded plugins to admin.PluginControl (admin
// plugins and plugin_restart).
type pluginControl struct{ s *Server }

// PluginInfos lists the chain backend, then the other plugins.
func (c pluginControl) PluginInfos() []admin.PluginInfo {
	methods := map[string][]admin.PluginMethod{}
	if ext := c.s.ext.Load(); ext != nil {
		for _, m := range ext.Methods() {
			params := m.Spec.ParamNames
			if params == nil {
				params = []string{}
			}
			methods[m.Plugin] = append(methods[m.Plugin], admin.PluginMethod{
				Name: m.Spec.Name, MinArgs: m.Spec.MinArgs, MaxArgs: m.Spec.MaxArgs, Params: params})
		}
	}
	var out []admin.PluginInfo
	for _, p := range c.s.allPlugins() {
		if p == nil {
			continue
		}
		d := p.Describe()
		out = append(out, admin.PluginInfo{
			Name: p.Name(), Role: c.s.roster.roles.Label(p.Name()), Binary: p.Path(), Version: d.Version, SDKVersion: d.SDKVersion,
			State: p.State(), PID: p.PID(), Restarts: p.Restarts(), Crashes: p.Crashes(), LastError: p.LastError(),
			Methods: methods[p.Name()],
		})
		if out[len(out)-1].Methods == nil {
			out[len(out)-1].Methods = []admin.PluginMethod{}
		}
	}
	return out
}

// RestartPlugin clears the named plugin's crash-loop breaker and starts it
// again (pluginhost.Plugin.Restart; a method plugin's methods are routed
// again by its OnRestart hook).
func (c pluginControl) RestartPlugin(ctx context.Context, name string) error {
	var target *pluginhost.Plugin
	for _, p := range c.s.allPlugins() {
		if p != nil && p.Name() == name {
			target = p
		}
	}
	if target == nil {
		return fmt.Errorf("%w %q", admin.ErrUnknownPlugin, name)
	}
	return target.Restart(ctx)
}
