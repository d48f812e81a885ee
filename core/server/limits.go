package server

import (
	"cmp"
	"fmt"
	"syscall"

	"github.com/amber-electrum/amber/core/internal/admin"
	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/store"
)

// limits holds what the server derives at start from the protection
// settings: the effective max_sessions and the admin RPC guard.
type limits struct {
	maxSessions int
	guard       *admin.Guard
	cookiePath  string
}

// openFileLimit is the soft RLIMIT_NOFILE (Go raises it to the hard limit
// at start); 0 when unknown.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}

// prepareLimits clamps max_sessions to the open-file limit (a warning, as
// ElectrumX) and builds the admin RPC guard, writing the cookie file when
// rpc_auth is cookie.
func (s *Server) prepareLimits(nofile uint64) error {
	cfg := s.cfg
	reserve := config.NofileReserveFor(store.OpenFiles(cfg.DBEngine, nofile, config.NofileSelf))
	n, lowered := config.SaneMaxSessions(cfg.MaxSessions, nofile, reserve)
	if lowered {
		s.log.Warn(fmt.Sprintf("lowered maximum sessions from %d to %d because your open file limit is %d", cfg.MaxSessions, n, nofile),
			"max_sessions", cfg.MaxSessions, "effective", n, "nofile", nofile, "reserve", reserve)
	}
	if n < 1 {
		return fmt.Errorf("max_sessions: the open file limit %d leaves no room for sessions (amberd keeps %d files for itself, its %s store included; raise ulimit -n)", nofile, reserve, cmp.Or(cfg.DBEngine, store.EnginePebble))
	}
	s.lim.maxSessions = n
	s.lim.guard = &admin.Guard{Logger: s.log.With("component", "admin")}
	if cfg.RPCAuth == "cookie" {
		path := cfg.CookiePath()
		cookie, err := admin.WriteCookie(path)
		if err != nil {
			return fmt.Errorf("rpc_cookie_file: %w", err)
		}
		s.lim.guard.Cookie, s.lim.cookiePath = cookie, path
		s.log.Info("admin RPC cookie written", "path", path)
	}
	return nil
}

// removeCookie deletes the cookie file at shutdown, or when start-up
// fails after prepareLimits wrote it.
func (s *Server) removeCookie() {
	if s.lim.cookiePath == "" {
		return
	}
	if err := admin.RemoveCookie(s.lim.cookiePath, s.lim.guard.Cookie); err != nil {
		s.log.Warn("removing the admin RPC cookie", "err", err)
	}
}
