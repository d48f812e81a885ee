package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/amber-electrum/amber/core/internal/chainrole"
	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/core/internal/roles"
	"github.com/amber-electrum/amber/sdk"
)

// DefaultChainPlugin is the config block name of the bundled daemon client
// (amber-bitcoind beside amberd): launched as the chain backend when no
// configured plugin declares the chain-backend capability and no source
// declared a plugins.bitcoind key (config.Plugin.Implicit), and the block
// whose empty path means "beside amberd". Any other name works as well:
// the chain backend is the plugin that declares sdk.CapChainBackend.
const DefaultChainPlugin = "bitcoind"

// pluginSet is the loaded plugins and their roles.
type pluginSet struct {
	all   []*pluginhost.Plugin // in start order: configured blocks by name, then the bundled default
	roles roles.Assignment
	chain *chainrole.Backend // the chain-backend role
}

// byName returns the loaded plugin of that config name, nil for none.
func (ps *pluginSet) byName(name string) *pluginhost.Plugin {
	for _, p := range ps.all {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// members is what role assignment needs of the loaded plugins.
func (ps *pluginSet) members() []roles.Plugin {
	out := make([]roles.Plugin, len(ps.all))
	for i, p := range ps.all {
		out[i] = roles.Plugin{Name: p.Name(), Path: p.Path(), Capabilities: p.Describe().Capabilities}
	}
	return out
}

// pluginStarter starts one plugin block without configuring it
// (pluginhost.Start; a test fake elsewhere).
type pluginStarter func(ctx context.Context, spec pluginhost.Spec) (*pluginhost.Plugin, error)

// startPlugins starts every plugins.<name> block (by name) that a source
// declared and reads what each declares; when none declares the
// chain-backend capability and no source declared plugins.bitcoind, it
// starts the bundled amber-bitcoind beside amberd as well. Then it assigns the roles (roles.Assign): a duplicate
// single-instance role, a plugin with no role, or no chain backend at all
// stops start-up. Plugins started before an error stay in ps.all, for the
// caller's cleanup.
func (s *Server) startPlugins(ctx context.Context, start pluginStarter) error {
	ps := &s.roster
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Plugins)) {
		if pc := s.cfg.Plugins[name]; pc != nil && !pc.Implicit {
			if err := s.startOne(ctx, start, name, pc); err != nil {
				return err
			}
		}
	}
	as, err := roles.Assign(roles.Table, ps.members())
	var missing *roles.MissingError
	if errors.As(err, &missing) && missing.Spec.Role == roles.Chain {
		def := s.cfg.Plugins[DefaultChainPlugin]
		if def != nil && !def.Implicit {
			return err // the operator's own plugins.bitcoind is no chain backend
		}
		if def == nil {
			def = &config.Plugin{Name: DefaultChainPlugin}
		}
		if err := s.startOne(ctx, start, DefaultChainPlugin, def); err != nil {
			return err
		}
		as, err = roles.Assign(roles.Table, ps.members())
	}
	if err != nil {
		return err
	}
	ps.roles = as
	for _, p := range ps.all {
		s.log.Info("plugin role", "plugin", p.Name(), "role", as.Label(p.Name()), "path", p.Path())
	}
	return nil
}

// startOne starts one plugin block (not configured yet).
func (s *Server) startOne(ctx context.Context, start pluginStarter, name string, pc *config.Plugin) error {
	key := "plugins." + name + ".path"
	path := pc.Path
	if path == "" && name == DefaultChainPlugin {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("plugin %q: cannot locate amberd's own binary to find the plugin beside it (set %s): %w", name, key, err)
		}
		path = filepath.Join(filepath.Dir(exe), "amber-"+name)
	}
	p, err := start(ctx, pluginhost.Spec{
		Name: name, Path: path, SHA256: pc.SHA256, Args: pc.Args, Env: pluginEnv(pc.Env),
		StartTimeout: pc.StartTimeout, ConfigKey: key, Logger: s.log, Restart: s.restartPolicy(),
	})
	if err != nil {
		return err
	}
	s.roster.all = append(s.roster.all, p)
	return nil
}

// configureChain configures the chain-backend plugin (its config block with
// daemon_url and network added unless set there) with the chain role's
// Ready hook: the daemon must be on the configured network, and a restart
// gets the daemon URLs set since.
func (s *Server) configureChain(ctx context.Context) error {
	ps := &s.roster
	name := ps.roles.Holder(roles.Chain)
	p := ps.byName(name)
	pcfg := map[string]any{}
	if pc := s.cfg.Plugins[name]; pc != nil {
		maps.Copy(pcfg, pc.Config)
	}
	if _, ok := pcfg["daemon_url"]; !ok {
		pcfg["daemon_url"] = s.cfg.DaemonURL
	}
	if _, ok := pcfg["network"]; !ok {
		pcfg["network"] = s.cfg.Network.Name
	}
	raw, err := json.Marshal(pcfg)
	if err != nil {
		return fmt.Errorf("plugin %q: plugins.%s.config: %w", name, name, err)
	}
	b := chainrole.New(p, chainrole.Options{Genesis: s.cfg.Network.GenesisHash, Network: s.cfg.Network.Name})
	if err := p.Configure(ctx, pluginhost.Setup{
		Config: raw,
		Ready: func(ctx context.Context, c pluginhost.Conn, d sdk.Description) error {
			if err := s.keepsRoles(p, d); err != nil {
				return err
			}
			return b.Ready(ctx, c, d)
		},
		OnRestart: s.reregister,
	}); err != nil {
		return err
	}
	ps.chain = b
	d := p.Describe()
	s.log.Info("daemon plugin ready", "plugin", name, "version", d.Version, "sdk", d.SDKVersion,
		"network", d.Network, "pid", p.PID())
	return nil
}

// keepsRoles refuses a (re)started plugin that no longer declares the
// capability of every role it was given at start-up.
func (s *Server) keepsRoles(p *pluginhost.Plugin, d sdk.Description) error {
	if err := s.roster.roles.Check(p.Name(), d.Capabilities); err != nil {
		return pluginhost.Refuse(err)
	}
	if gained := s.roster.roles.Gained(p.Name(), d.Capabilities); len(gained) > 0 {
		s.log.Warn("restarted plugin declares capabilities it did not have at start-up; roles are assigned at start-up, so they are ignored until amberd restarts",
			"plugin", p.Name(), "capabilities", gained)
	}
	return nil
}

// restartPolicy is the supervision policy every plugin gets.
func (s *Server) restartPolicy() pluginhost.RestartPolicy {
	return pluginhost.RestartPolicy{
		Delay: s.cfg.PluginRestartDelay, MaxDelay: s.cfg.PluginRestartMaxDelay,
		CrashLimit: s.cfg.PluginCrashLimit, CrashWindow: s.cfg.PluginCrashWindow,
	}
}

func pluginEnv(m map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return env
}
