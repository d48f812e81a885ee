package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// service is one listener of amberd's services key: proto://host:port.
type service struct {
	Proto, Host string
	Port        int
}

func (s service) String() string {
	return s.Proto + "://" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// Addr is host:port, with 127.0.0.1 for an empty host (all interfaces).
func (s service) Addr() string {
	h := s.Host
	if h == "" || h == "0.0.0.0" || h == "::" {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, strconv.Itoa(s.Port))
}

// defaultPorts are amberd's ports for a service given without one.
var defaultPorts = map[string]int{"tcp": 50001, "ssl": 50002, "ws": 50003, "wss": 50004, "rpc": 8000}

// parseServices reads the services value: comma-separated
// proto://host:port (amberd's syntax; a missing port is the protocol's
// default).
func parseServices(v string) ([]service, error) {
	var out []service
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		proto, rest, ok := strings.Cut(item, "://")
		proto = strings.ToLower(proto)
		def, known := defaultPorts[proto]
		if !ok || !known {
			return nil, fmt.Errorf("services: %q: want proto://host:port with proto tcp, ssl, ws, wss or rpc", item)
		}
		s := service{Proto: proto, Port: def}
		if h, p, err := net.SplitHostPort(rest); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 65535 {
				return nil, fmt.Errorf("services: %q: bad port %q", item, p)
			}
			s.Host, s.Port = h, n
		} else {
			s.Host = strings.Trim(rest, "[]")
		}
		out = append(out, s)
	}
	return out, nil
}

func joinServices(ss []service) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// daemonAddr is the parsed daemon_url: user:pass@host:port (an optional
// http:// scheme is dropped; the first of a comma-separated list counts).
type daemonAddr struct {
	User, Pass, Host string
	Port             int
}

// btcdRegtestRPCPort is btcd's regtest RPC port, for a daemon_url without one.
const btcdRegtestRPCPort = 18556

func parseDaemonURL(v string) (daemonAddr, error) {
	first, _, _ := strings.Cut(v, ",")
	first = strings.TrimSpace(first)
	if i := strings.Index(first, "://"); i >= 0 {
		first = first[i+3:]
	}
	first = strings.TrimSuffix(first, "/")
	cred, hostport, ok := strings.Cut(first, "@")
	if !ok {
		return daemonAddr{}, fmt.Errorf("daemon_url %q: want user:pass@host:port", v)
	}
	d := daemonAddr{Port: btcdRegtestRPCPort}
	d.User, d.Pass, _ = strings.Cut(cred, ":")
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return daemonAddr{}, fmt.Errorf("daemon_url %q: bad port %q", v, p)
		}
		d.Host, d.Port = h, n
	} else {
		d.Host = hostport
	}
	if d.User == "" {
		return daemonAddr{}, fmt.Errorf("daemon_url %q: no user", v)
	}
	return d, nil
}

// devConfig is the amberd config file the devnet runs, as a YAML map: the
// devnet reads its ports from it and writes the copy amberd gets, with the
// ports it actually uses, its own btcd credentials and the plugins asked
// for.
type devConfig map[string]any

func loadConfig(path string) (devConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// A plain map (a named one would make yaml give nested maps its type).
	m := map[string]any{}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w (the devnet reads YAML configs)", path, err)
	}
	return devConfig(m), nil
}

// str returns a top-level string key ("" when missing); a list is joined
// with commas (services may be written as a YAML list).
func (c devConfig) str(key string) string {
	switch v := c[key].(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, fmt.Sprint(x))
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// addPlugin sets plugins.<name>.path, keeping the rest of an existing block.
func (c devConfig) addPlugin(name, path string) {
	plugins, _ := c["plugins"].(map[string]any)
	if plugins == nil {
		plugins = map[string]any{}
	}
	block, _ := plugins[name].(map[string]any)
	if block == nil {
		block = map[string]any{}
	}
	block["path"] = path
	plugins[name] = block
	c["plugins"] = plugins
}

func (c devConfig) write(path string) error {
	raw, err := yaml.Marshal(map[string]any(c))
	if err != nil {
		return err
	}
	head := "# Written by amber-devnet for this run: the ports it uses, its btcd's\n# credentials and the plugins asked for. Edit the config it was made from.\n"
	return os.WriteFile(path, append([]byte(head), raw...), 0o600)
}

// pluginBinary finds a plugin's binary in bin: amber-<name>, then <name>.
func pluginBinary(bin, name string) (string, error) {
	for _, cand := range []string{"amber-" + name, name} {
		p := filepath.Join(bin, cand)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return filepath.Abs(p)
		}
	}
	var have []string
	entries, _ := os.ReadDir(bin)
	for _, e := range entries {
		n := e.Name()
		switch {
		case n == "amberd" || n == "amberctl" || n == "amber-devnet" || n == "amber-bench" || n == "amber-bitcoind":
		case strings.HasPrefix(n, "amber-"):
			have = append(have, strings.TrimPrefix(n, "amber-"))
		default:
			have = append(have, n)
		}
	}
	return "", fmt.Errorf("plugin %q: no %s/amber-%s or %s/%s (plugins in %s: %s)", name, bin, name, bin, name, bin, strings.Join(have, ", "))
}

// validPluginName is amberd's rule for plugins.<name>.
func validPluginName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
