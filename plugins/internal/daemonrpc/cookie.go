package daemonrpc

import (
	"fmt"
	"os"
	"strings"
)

// parseCookie parses a bitcoind cookie file ("__cookie__:<hex>", possibly
// followed by a newline).
func parseCookie(data []byte) (user, pass string, err error) {
	s := strings.TrimRight(string(data), "\r\n")
	user, pass, ok := strings.Cut(s, ":")
	if !ok || user == "" || strings.ContainsAny(s, "\r\n") {
		return "", "", fmt.Errorf("malformed cookie file")
	}
	return user, pass, nil
}

// creds returns the basic-auth credentials for ep: its own, or the cookie
// file's (read on first use and again after an authentication failure).
func (c *Client) creds(ep Endpoint) (user, pass string, fromCookie bool, err error) {
	if ep.HasAuth || c.opts.CookieFile == "" {
		return ep.User, ep.Pass, false, nil
	}
	c.cookieMu.Lock()
	defer c.cookieMu.Unlock()
	if !c.cookieValid {
		data, err := os.ReadFile(c.opts.CookieFile)
		if err != nil {
			return "", "", true, fmt.Errorf("cookie file: %w", err)
		}
		u, p, err := parseCookie(data)
		if err != nil {
			return "", "", true, fmt.Errorf("cookie file %s: %w", c.opts.CookieFile, err)
		}
		c.cookieUser, c.cookiePass, c.cookieValid = u, p, true
	}
	return c.cookieUser, c.cookiePass, true, nil
}

// invalidateCookie makes the next request re-read the cookie file.
func (c *Client) invalidateCookie() {
	c.cookieMu.Lock()
	c.cookieValid = false
	c.cookieMu.Unlock()
}
