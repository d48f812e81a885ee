package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/amber-electrum/amber/core/internal/session"
)

// DaemonLabel is how a daemon URL is shown (getinfo "daemon", daemon_url's
// answer): "host:port/" without scheme or credentials, with defaultPort when
// the URL has none (0: leave it out).
func DaemonLabel(url string, defaultPort int) string {
	u := strings.TrimRight(strings.TrimSpace(url), "/")
	if i := strings.LastIndex(u, "@"); i >= 0 {
		u = u[i+1:]
	} else if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if u == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(u); err != nil && defaultPort > 0 {
		u = net.JoinHostPort(strings.Trim(u, "[]"), strconv.Itoa(defaultPort))
	}
	return u + "/"
}

func (s *Server) defaultRPCPort() int {
	if s.opts.Network != nil {
		return s.opts.Network.RPCPort
	}
	return 0
}

// daemonLabel is the current daemon for getinfo.
func (s *Server) daemonLabel() string {
	s.mu.Lock()
	cur := s.current
	s.mu.Unlock()
	if cur != "" {
		return cur
	}
	if s.opts.Daemon != nil {
		return s.opts.Daemon()
	}
	return DaemonLabel(firstURL(s.opts.DaemonURL), s.defaultRPCPort())
}

// DaemonURLs returns the URL list of the last successful daemon_url, or nil
// if there was none: the server hands it to a restarted daemon plugin so a
// switch survives a plugin restart.
func (s *Server) DaemonURLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.urls...)
}

func firstURL(list string) string {
	first, _, _ := strings.Cut(list, ",")
	return first
}

func (s *Server) daemonURL(ctx context.Context, _ *session.Session, args []json.RawMessage) (any, error) {
	list, ok := optString(args[0])
	if !ok {
		return nil, badRequest("an error occurred: daemon_url must be a string, got %s", display(args[0]))
	}
	if strings.TrimSpace(list) == "" {
		list = s.opts.DaemonURL
	}
	if s.opts.Switcher == nil {
		return nil, badRequest("an error occurred: the daemon plugin cannot switch URLs")
	}
	urls := strings.Split(list, ",")
	if err := s.opts.Switcher.SetDaemonURLs(ctx, urls); err != nil {
		return nil, badRequest("an error occurred: %s", errorText(err))
	}
	label := DaemonLabel(urls[0], s.defaultRPCPort())
	s.mu.Lock()
	s.current, s.urls = label, urls
	s.mu.Unlock()
	for i, u := range urls {
		s.log.Info("daemon URL replaced (admin daemon_url)", "n", i+1, "url", DaemonLabel(u, s.defaultRPCPort()), "current", i == 0)
	}
	return "now using daemon at " + label, nil
}

// errorText is the innermost message of err, without the plugin's
// "daemon_url: " prefix.
func errorText(err error) string {
	msg := err.Error()
	return strings.TrimPrefix(msg, "daemon_url: ")
}

// ErrRemoteAdmin is returned by CheckListenAddr for a non-loopback admin
// address without rpc_allow_remote.
var ErrRemoteAdmin = errors.New("the admin RPC may listen only on a loopback address (set rpc_allow_remote to allow it, with rpc_auth cookie)")

// CheckListenAddr refuses a non-loopback admin RPC listen host unless
// allowRemote (config rpc_allow_remote) is set. An empty host means every
// interface. The caller logs a warning when it allows a remote host
// (IsLoopbackHost is false).
func CheckListenAddr(host string, allowRemote bool) error {
	if IsLoopbackHost(host) || allowRemote {
		return nil
	}
	return fmt.Errorf("rpc service on %q: %w", host, ErrRemoteAdmin)
}

// IsLoopbackHost reports whether host is "localhost" or a loopback IP.
func IsLoopbackHost(host string) bool {
	h := strings.Trim(host, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
