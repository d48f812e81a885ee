package admin

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/amber-electrum/amber/core/internal/session"
)

// PluginInfo is one plugin as the `plugins` method lists it (and
// `plugin_restart` returns it).
type PluginInfo struct {
	Name string `json:"name"`
	// Role is "chain" (the daemon client) or "methods" (a method provider).
	Role string `json:"role"`
	// Binary is the plugin binary of the last start.
	Binary     string `json:"binary"`
	Version    string `json:"version"`
	SDKVersion string `json:"sdk_version"`
	// State is starting, running, restarting, failed or stopped.
	State string `json:"state"`
	PID   int    `json:"pid"` // 0 while no process runs
	// Restarts counts successful restarts (supervisor and plugin_restart).
	Restarts int64 `json:"restarts"`
	// Crashes counts the crashes within plugin_crash_window, those the
	// crash-loop breaker counts.
	Crashes int `json:"crashes"`
	// LastError is why the plugin last went down ("" for never); it stays
	// after a restart.
	LastError string `json:"last_error"`
	// Methods are the client methods routed to the plugin (a method
	// provider's), by name.
	Methods []PluginMethod `json:"methods"`
}

// PluginMethod is one client method a plugin serves.
type PluginMethod struct {
	Name    string   `json:"name"`
	MinArgs int      `json:"min_args"`
	MaxArgs int      `json:"max_args"`
	Params  []string `json:"params"` // ParamNames; [] when only positional
}

// PluginControl lists the loaded plugins and restarts one (core/server
// adapts pluginhost to it).
type PluginControl interface {
	PluginInfos() []PluginInfo
	// RestartPlugin clears the plugin's crash-loop breaker and starts it
	// again; ErrUnknownPlugin (wrapped) for a name that is not loaded.
	RestartPlugin(ctx context.Context, name string) error
}

// ErrUnknownPlugin is what PluginControl.RestartPlugin wraps for a name that
// is not a loaded plugin.
var ErrUnknownPlugin = errors.New("unknown plugin")

// plugins lists every loaded plugin, the daemon client first.
func (s *Server) plugins(context.Context, *session.Session, []json.RawMessage) (any, error) {
	if s.opts.PluginControl == nil {
		return []PluginInfo{}, nil
	}
	list := s.opts.PluginControl.PluginInfos()
	if list == nil {
		list = []PluginInfo{}
	}
	return list, nil
}

// pluginRestart clears a plugin's crash-loop breaker and starts it again; it
// answers the plugin's row after the restart.
func (s *Server) pluginRestart(ctx context.Context, _ *session.Session, args []json.RawMessage) (any, error) {
	var name string
	if err := json.Unmarshal(args[0], &name); err != nil || strings.TrimSpace(name) == "" {
		return nil, badRequest("plugin name should be a non-empty string")
	}
	if s.opts.PluginControl == nil {
		return nil, badRequest("no plugin control configured")
	}
	if err := s.opts.PluginControl.RestartPlugin(ctx, name); err != nil {
		if errors.Is(err, ErrUnknownPlugin) {
			return nil, badRequest(`unknown plugin "%s" (loaded: %s)`, name, strings.Join(s.pluginNames(), ", "))
		}
		return nil, badRequest("restart failed: %v", err)
	}
	s.log.Info("plugin restarted through the admin RPC", "plugin", name)
	for _, p := range s.opts.PluginControl.PluginInfos() {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, badRequest(`unknown plugin "%s"`, name)
}

func (s *Server) pluginNames() []string {
	var names []string
	for _, p := range s.opts.PluginControl.PluginInfos() {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}
