package server

import (
	"context"
	"fmt"
	"time"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/core/internal/roles"
	"github.com/amber-electrum/amber/sdk"
)

// configurePlugins configures every loaded plugin but the chain backend
// with the host services, routes the methods of each method provider (the
// chain backend's too, when it also declares the method-provider
// capability) and the core's fee estimates to the fee estimator, if a
// plugin holds that role (feeRoute.route). Any error stops start-up: it
// names the plugin and the config key.
func (s *Server) configurePlugins(ctx context.Context) error {
	ps := &s.roster
	var host sdk.Host
	if s.hosts != nil {
		host = s.hosts
	}
	for _, p := range ps.all {
		name := p.Name()
		if p == ps.chain.Plugin() {
			if ps.roles.Has(name, roles.Methods) {
				if err := s.register(ctx, p); err != nil {
					return fmt.Errorf("plugin %q (plugins.%s): %w", name, name, err)
				}
			}
			continue
		}
		var raw []byte
		if pc := s.cfg.Plugins[name]; pc != nil {
			var err error
			if raw, err = pc.ConfigJSON(); err != nil {
				return fmt.Errorf("plugin %q: plugins.%s.config: %w", name, name, err)
			}
		}
		if err := p.Configure(ctx, pluginhost.Setup{
			Config: raw, Host: host, OnRestart: s.reregister,
			Ready: func(_ context.Context, _ pluginhost.Conn, d sdk.Description) error { return s.keepsRoles(p, d) },
		}); err != nil {
			return err
		}
		if ps.roles.Has(name, roles.Methods) {
			if err := s.register(ctx, p); err != nil {
				return fmt.Errorf("plugin %q (plugins.%s): %w", name, name, err)
			}
		}
		d := p.Describe()
		s.log.Info("plugin ready", "plugin", name, "role", ps.roles.Label(name), "version", d.Version,
			"sdk", d.SDKVersion, "pid", p.PID())
	}
	fees := s.daemon.route(ps.roles, func(name string) sdk.FeeEstimator { return roles.FeeEstimator(ps.byName(name)) })
	if fees != "" {
		s.log.Info("fee estimates come from the plugin", "plugin", fees)
	}
	return nil
}

// reregister routes a restarted method provider's methods again (they may
// have changed with a new binary); it is every plugin's OnRestart hook and
// does nothing for a plugin without the method-provider role.
func (s *Server) reregister(p *pluginhost.Plugin) {
	if s.ext.Load() == nil || !s.roster.roles.Has(p.Name(), roles.Methods) {
		return
	}
	ctx, cancel := context.WithTimeout(s.life, 30*time.Second)
	defer cancel()
	if err := s.register(ctx, p); err != nil {
		s.log.Error("restarted plugin's methods refused; its previous methods stay routed", "plugin", p.Name(), "err", err)
	}
}

// register routes a method provider's declared methods.
func (s *Server) register(ctx context.Context, p *pluginhost.Plugin) error {
	return s.ext.Load().Register(ctx, p.Name(), roles.MethodProvider(p))
}

// allPlugins is the chain backend followed by the other plugins (by name).
func (s *Server) allPlugins() []*pluginhost.Plugin {
	out := []*pluginhost.Plugin{}
	if s.roster.chain != nil {
		out = append(out, s.roster.chain.Plugin())
	}
	for _, p := range s.roster.all {
		if s.roster.chain == nil || p != s.roster.chain.Plugin() {
			out = append(out, p)
		}
	}
	return out
}
