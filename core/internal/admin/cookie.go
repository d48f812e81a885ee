package admin

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cookieBytes is the size of the random cookie (hex-encoded in the file).
const cookieBytes = 32

// WriteCookie creates a fresh random cookie and writes it to path, readable
// and writable by the owner only (0600), replacing any old file atomically,
// as bitcoind's .cookie. It returns the cookie.
func WriteCookie(path string) (string, error) {
	b := make([]byte, cookieBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin cookie: %w", err)
	}
	cookie := hex.EncodeToString(b)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("admin cookie %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".rpc.cookie-*")
	if err != nil {
		return "", fmt.Errorf("admin cookie %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", fmt.Errorf("admin cookie %s: %w", path, err)
	}
	if _, err := f.WriteString(cookie + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("admin cookie %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("admin cookie %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("admin cookie %s: %w", path, err)
	}
	return cookie, nil
}

// ReadCookie reads a cookie file written by WriteCookie (amberctl).
func ReadCookie(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin cookie: %w", err)
	}
	c := strings.TrimSpace(string(b))
	if c == "" {
		return "", fmt.Errorf("admin cookie %s: empty file", path)
	}
	return c, nil
}

// RemoveCookie deletes the cookie file at shutdown if it still holds
// cookie (another amberd may have replaced it).
func RemoveCookie(path, cookie string) error {
	if c, err := ReadCookie(path); err != nil || c != cookie {
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("admin cookie: %w", err)
	}
	return nil
}
