package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// defaultCookieName is amberd's rpc_cookie_file default, in db_directory.
const defaultCookieName = "rpc.cookie"

// cookiePath picks the admin cookie file as amberd would write it from the
// same environment: --cookie, else $AMBER_RPC_COOKIE_FILE (relative to the
// db directory), else rpc.cookie in $AMBER_DB_DIRECTORY or $DB_DIRECTORY.
// explicit reports whether the operator named the file (flag or
// AMBER_RPC_COOKIE_FILE): then it must exist.
func cookiePath(flagValue string, getenv func(string) string) (path string, explicit bool) {
	if flagValue != "" {
		return flagValue, true
	}
	dir := getenv("AMBER_DB_DIRECTORY")
	if dir == "" {
		dir = getenv("DB_DIRECTORY")
	}
	if name := getenv("AMBER_RPC_COOKIE_FILE"); name != "" {
		if !filepath.IsAbs(name) && dir != "" {
			name = filepath.Join(dir, name)
		}
		return name, true
	}
	if dir == "" {
		return "", false
	}
	return filepath.Join(dir, defaultCookieName), false
}

// readCookie returns the cookie to send, "" when there is none to send (no
// file at a default location: amberd runs without rpc_auth).
func readCookie(path string, explicit bool) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	switch {
	case err != nil && !explicit && errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("admin cookie: %w", err)
	}
	c := strings.TrimSpace(string(b))
	if c == "" {
		return "", fmt.Errorf("admin cookie %s: empty file", path)
	}
	return c, nil
}
