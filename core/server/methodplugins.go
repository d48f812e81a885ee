package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/sdk"
)

// restartPolicy is the supervision policy every plugin gets.
func (s *Server) restartPolicy() pluginhost.RestartPolicy {
	return pluginhost.RestartPolicy{
		Delay: s.cfg.PluginRestartDelay, MaxDelay: s.cfg.PluginRestartMaxDelay,
		CrashLimit: s.cfg.PluginCrashLimit, CrashWindow: s.cfg.PluginCrashWindow,
	}
}

// launchMethodPlugins starts every plugins.<name> block other than the
// daemon client as a method provider with the host services, and routes
// its declared methods. Any error stops start-up: it names the plugin and
// the config key.
func (s *Server) launchMethodPlugins(ctx context.Context) error {
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Plugins)) {
		if name == ChainPlugin {
			continue
		}
		pc := s.cfg.Plugins[name]
		raw, err := pc.ConfigJSON()
		if err != nil {
			return fmt.Errorf("plugin %q: plugins.%s.config: %w", name, name, err)
		}
		p, err := pluginhost.Launch(ctx, pluginhost.Spec{
			Name: name, Path: pc.Path, SHA256: pc.SHA256, Args: pc.Args, Env: pluginEnv(pc.Env),
			StartTimeout: pc.StartTimeout, Config: raw, ConfigKey: "plugins." + name + ".path",
			Logger: s.log, Restart: s.restartPolicy(),
			Capability: sdk.CapMethodProvider, Host: s.hosts,
			OnRestart: s.reregister,
		})
		if err != nil {
			return err
		}
		s.methodP = append(s.methodP, p)
		if err := s.register(ctx, p); err != nil {
			return fmt.Errorf("plugin %q (plugins.%s): %w", name, name, err)
		}
		d := p.Describe()
		s.log.Info("method plugin ready", "plugin", name, "version", d.Version, "sdk", d.SDKVersion, "pid", p.PID())
	}
	return nil
}

// reregister routes a restarted plugin's methods again (they may have
// changed with a new binary).
func (s *Server) reregister(p *pluginhost.Plugin) {
	ctx, cancel := context.WithTimeout(s.life, 30*time.Second)
	defer cancel()
	if err := s.register(ctx, p); err != nil {
		s.log.Error("restarted plugin's methods refused; its previous methods stay routed", "plugin", p.Name(), "err", err)
	}
}

// register routes a plugin's declared methods; a plugin serving the
// fee-estimator role also answers the core's blockchain.estimatefee and
// relayfee (feeRoute.adopt).
func (s *Server) register(ctx context.Context, p *pluginhost.Plugin) error {
	if err := s.ext.Register(ctx, p.Name(), p.Methods()); err != nil {
		return err
	}
	if s.daemon.adopt(p) {
		s.log.Info("fee estimates come from the plugin", "plugin", p.Name())
	}
	return nil
}

// allPlugins is the daemon client followed by the method plugins.
func (s *Server) allPlugins() []*pluginhost.Plugin {
	return append([]*pluginhost.Plugin{s.plugin}, s.methodP...)
}
