package main

import (
	"fmt"
	"strconv"
	"strings"
)

// method describes one admin RPC method and how its command-line arguments
// become by-name parameters (docs/protocol.md, Admin RPC: the CLI sends parameters by name).
type method struct {
	name  string
	usage string
	help  string
	// params turns the arguments into the by-name parameter object.
	params func(args []string) (map[string]any, error)
}

var methods = []method{
	{"getinfo", "", "server summary", noArgs},
	{"stop", "", "shut amberd down cleanly", noArgs},
	{"sessions", "", "list sessions", noArgs},
	{"groups", "", "list session groups", noArgs},
	{"peers", "", "list peers", noArgs},
	{"disconnect", "ID...", "disconnect sessions, groups or all", listArg("session_ids")},
	{"log", "ID...", "toggle request logging (ids, groups, all, none, new)", listArg("session_ids")},
	{"add_peer", "REAL_NAME", "add a peer (\"host s50002 t50001\")", joinedArg("real_name")},
	{"daemon_url", "[URL]", "switch the daemon URL list", optionalArg("daemon_url")},
	{"query", "[-l N] ITEM...", "history, UTXOs and balance of scripts (hex) or addresses", queryArgs},
	{"reorg", "[COUNT]", "force a reorg of the last COUNT blocks (default 3)", reorgArgs},
	{"plugins", "", "list plugins: role, state, restarts, crashes, last error", noArgs},
	{"plugin_restart", "NAME", "clear a plugin's crash-loop breaker and start it again", pluginRestartArgs},
}

func buildParams(name string, args []string) (method, map[string]any, error) {
	for _, m := range methods {
		if m.name == name {
			p, err := m.params(args)
			return m, p, err
		}
	}
	return method{}, nil, fmt.Errorf("unknown method %q (try amberctl -h)", name)
}

func noArgs(args []string) (map[string]any, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("this method takes no arguments, got %q", args)
	}
	return map[string]any{}, nil
}

func listArg(key string) func([]string) (map[string]any, error) {
	return func(args []string) (map[string]any, error) {
		if len(args) == 0 {
			return nil, fmt.Errorf("need at least one argument")
		}
		return map[string]any{key: args}, nil
	}
}

func joinedArg(key string) func([]string) (map[string]any, error) {
	return func(args []string) (map[string]any, error) {
		if len(args) == 0 {
			return nil, fmt.Errorf("need an argument")
		}
		return map[string]any{key: strings.Join(args, " ")}, nil
	}
}

func optionalArg(key string) func([]string) (map[string]any, error) {
	return func(args []string) (map[string]any, error) {
		switch len(args) {
		case 0:
			return map[string]any{key: ""}, nil
		case 1:
			return map[string]any{key: args[0]}, nil
		}
		return nil, fmt.Errorf("takes at most one argument")
	}
}

func queryArgs(args []string) (map[string]any, error) {
	limit := 1000
	var items []string
	for i := 0; i < len(args); i++ {
		if a, v, ok := strings.Cut(args[i], "="); ok && (a == "--limit" || a == "-l") {
			args = append(args[:i:i], append([]string{a, v}, args[i+1:]...)...)
		}
		if args[i] == "--limit" || args[i] == "-l" {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--limit needs a number")
			}
			n, err := strconv.Atoi(args[i+1])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("--limit %q: not a non-negative integer", args[i+1])
			}
			limit = n
			i++
			continue
		}
		items = append(items, args[i])
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("need at least one script or address")
	}
	return map[string]any{"items": items, "limit": limit}, nil
}

func reorgArgs(args []string) (map[string]any, error) {
	count := 3
	switch len(args) {
	case 0:
	case 1:
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("count %q: not a non-negative integer", args[0])
		}
		count = n
	default:
		return nil, fmt.Errorf("takes at most one argument")
	}
	return map[string]any{"count": count}, nil
}
