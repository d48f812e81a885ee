package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// DefaultCookieFile is the admin RPC cookie file name in db_directory.
const DefaultCookieFile = "rpc.cookie"

// NofileReserve is the least number of open files MAX_SESSIONS leaves to
// amberd itself (store, plugins, daemon and peer connections, listeners):
// ElectrumX's 350 (250 for its DB, 100 for itself). NofileSelf is the part
// for everything but the store; a store that may keep more files open
// than 250 (pebble) raises the reserve (see SaneMaxSessions).
const (
	NofileReserve = 350
	NofileSelf    = 100
)

// NofileReserveFor is the reserve with a store that may keep storeFiles
// files open: at least NofileReserve.
func NofileReserveFor(storeFiles int) int { return max(NofileReserve, NofileSelf+storeFiles) }

// finishLimits validates the keys that bound what clients can take, so
// that no value quietly turns a protection off (issue 11.7), and derives
// the limits keys' fields.
func (c *Config) finishLimits(sources map[string]string, bad func(string, error) error) error {
	if c.MaxSessions == 0 {
		return bad("max_sessions", errors.New("must be at least 1 (0 would leave the number of sessions unlimited)"))
	}
	if c.MaxRecv == 0 {
		return bad("max_recv", errors.New("must be positive (0 would not mean unlimited but the 1,000,000 default)"))
	}
	if c.MetricsListen != "" {
		host, _, err := net.SplitHostPort(c.MetricsListen)
		if err != nil {
			return bad("metrics_listen", fmt.Errorf("want host:port: %w", err))
		}
		if !isLoopbackHost(host) && !c.MetricsAllowRemote {
			return bad("metrics_listen", fmt.Errorf("%q is not a loopback address: set metrics_allow_remote to serve metrics (and pprof) to the network", c.MetricsListen))
		}
	}
	if c.RPCCookieFile == "" {
		c.RPCCookieFile = DefaultCookieFile
	}
	c.WSAllowedOrigins = nil
	for _, o := range splitList(c.WSAllowedOriginsSpec) {
		norm, err := normalizeOrigin(o)
		if err != nil {
			return bad("ws_allowed_origins", err)
		}
		c.WSAllowedOrigins = append(c.WSAllowedOrigins, norm)
	}
	// Amber polls tip and mempool in one loop: ElectrumX's two periods map
	// to mempool_poll_interval, the shorter one winning, unless
	// mempool_poll_interval itself was set.
	if src := sources["mempool_poll_interval"]; src == "" || src == "default" {
		var p time.Duration
		for _, d := range []time.Duration{c.DaemonPollIntervalBlocks, c.DaemonPollIntervalMempool} {
			if d > 0 && (p == 0 || d < p) {
				p = d
			}
		}
		if p > 0 {
			c.MempoolPollInterval = p
		}
	}
	return nil
}

// CookiePath is the admin RPC cookie file resolved against db_directory.
func (c *Config) CookiePath() string {
	name := c.RPCCookieFile
	if name == "" {
		name = DefaultCookieFile
	}
	return c.Path(name)
}

// SaneMaxSessions clamps max_sessions to the open-file limit nofile minus
// reserve (NofileReserveFor), as ElectrumX does; lowered reports whether
// it did. A limit that leaves no room gives 0.
func SaneMaxSessions(maxSessions int, nofile uint64, reserve int) (n int, lowered bool) {
	if nofile == 0 {
		return maxSessions, false
	}
	room := int64(0)
	if r := uint64(max(reserve, 0)); nofile > r {
		room = int64(min(nofile-r, uint64(1<<40)))
	}
	if int64(maxSessions) <= room {
		return maxSessions, false
	}
	return int(room), true
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP; an
// empty host (all interfaces) is not.
func isLoopbackHost(host string) bool {
	h := strings.Trim(host, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// normalizeOrigin checks an allowed websocket origin ("https://wallet.example",
// "http://localhost:8080") and returns it in the form browsers send:
// lower-case scheme and host, no path.
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("origin %q: want scheme://host[:port]", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
