package amberproc

import (
	"maps"
	"slices"
	"strings"
)

// Config is what Env needs besides Options.Env.
type Config struct {
	Path, Home string // PATH and HOME passed on
	Net        string // NET; "regtest" if empty
	DaemonURL  string // DAEMON_URL, "user:pass@127.0.0.1:port"
	DBDir      string // DB_DIRECTORY
	TCPAddr    string // Electrum TCP service, 127.0.0.1:port
	RPCAddr    string // admin RPC service, 127.0.0.1:port
	Plugin     string // AMBER_PLUGINS__BITCOIND__PATH ("" leaves amberd's default: beside amberd)
	Metrics    string // AMBER_METRICS_LISTEN with AMBER_METRICS_PPROF=true ("" = off)
	Extra      map[string]string
}

// Env is amberd's whole environment for c, sorted: PATH and HOME, then
//
//	COIN=Bitcoin NET DB_DIRECTORY DAEMON_URL ALLOW_ROOT=true
//	SERVICES=tcp://<TCPAddr>,rpc://<RPCAddr>
//	PEER_DISCOVERY=off PEER_ANNOUNCE=false LOG_LEVEL=info
//	AMBER_PLUGINS__BITCOIND__PATH, AMBER_METRICS_LISTEN, AMBER_METRICS_PPROF
//
// and c.Extra last (it overrides any of them; an empty value removes the
// variable).
func Env(c Config) []string {
	net := c.Net
	if net == "" {
		net = "regtest"
	}
	vars := map[string]string{
		"PATH":           c.Path,
		"HOME":           c.Home,
		"COIN":           "Bitcoin",
		"NET":            net,
		"DB_DIRECTORY":   c.DBDir,
		"DAEMON_URL":     c.DaemonURL,
		"SERVICES":       "tcp://" + c.TCPAddr + ",rpc://" + c.RPCAddr,
		"ALLOW_ROOT":     "true",
		"PEER_DISCOVERY": "off",
		"PEER_ANNOUNCE":  "false",
		"LOG_LEVEL":      "info",
	}
	if c.Plugin != "" {
		vars["AMBER_PLUGINS__BITCOIND__PATH"] = c.Plugin
	}
	if c.Metrics != "" {
		vars["AMBER_METRICS_LISTEN"] = c.Metrics
		vars["AMBER_METRICS_PPROF"] = "true"
	}
	maps.Copy(vars, c.Extra)
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	slices.Sort(env)
	return env
}

// ParseAssignments turns NAME=value strings (a repeated command-line flag)
// into a map; a later name wins.
func ParseAssignments(list []string) (map[string]string, error) {
	out := make(map[string]string, len(list))
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, &assignError{a}
		}
		out[k] = v
	}
	return out, nil
}

type assignError struct{ s string }

func (e *assignError) Error() string { return "amberproc: " + `"` + e.s + `" is not NAME=value` }
