package server

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/internal/config"
)

// TestPrepareLimits (issue 12.14, 11.6): max_sessions is clamped to the
// open-file limit minus the reserve with a warning; an open-file limit
// below the reserve stops start-up; rpc_auth cookie writes the cookie.
func TestPrepareLimits(t *testing.T) {
	for _, tc := range []struct {
		engine string
		max    int
		nofile uint64
		want   int
		warn   bool
		fails  bool
	}{
		{"buntdb", 1000, 1024, 674, true, false},
		{"buntdb", 1000, 65536, 1000, false, false},
		{"buntdb", 1000, 0, 1000, false, false},
		{"buntdb", 1000, 200, 0, true, true},
		// pebble's table cache takes half of what amberd's own 100
		// files leave (store.OpenFiles), 250 to 1000 files: the other
		// half is for sessions.
		{"", 1000, 1600, 750, true, false},
		{"pebble", 1000, 2100, 1000, false, false},
		{"pebble", 1000, 65536, 1000, false, false},
		{"pebble", 1000, 1024, 462, true, false},
		{"pebble", 1000, 300, 0, true, true},
	} {
		var logs bytes.Buffer
		dir := t.TempDir()
		s := &Server{cfg: &config.Config{DBEngine: tc.engine, MaxSessions: tc.max, DBDirectory: dir, RPCAuth: "cookie"},
			log: slog.New(slog.NewTextHandler(&logs, nil))}
		err := s.prepareLimits(tc.nofile)
		if (err != nil) != tc.fails {
			t.Fatalf("max %d nofile %d: err %v, want failure %v", tc.max, tc.nofile, err, tc.fails)
		}
		if strings.Contains(logs.String(), "lowered maximum sessions") != tc.warn {
			t.Errorf("max %d nofile %d: log %q, want warning %v", tc.max, tc.nofile, logs.String(), tc.warn)
		}
		if tc.fails {
			continue
		}
		if s.lim.maxSessions != tc.want {
			t.Errorf("max %d nofile %d: effective %d, want %d", tc.max, tc.nofile, s.lim.maxSessions, tc.want)
		}
		path := filepath.Join(dir, config.DefaultCookieFile)
		b, err := os.ReadFile(path)
		if err != nil || strings.TrimSpace(string(b)) != s.lim.guard.Cookie || len(s.lim.guard.Cookie) != 64 {
			t.Fatalf("cookie file %q %v, guard cookie %q", b, err, s.lim.guard.Cookie)
		}
		s.removeCookie()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("cookie not removed at shutdown: %v", err)
		}
	}
}
