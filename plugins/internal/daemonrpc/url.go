package daemonrpc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Endpoint is one normalised daemon URL.
type Endpoint struct {
	// URL is the normalised form: scheme, credentials, host, port and a
	// trailing slash, e.g. "http://user:pass@127.0.0.1:8332/".
	URL string
	// Base is URL without credentials: where requests are posted.
	Base string
	// Logged is "host:port", the part shown in logs and error messages.
	Logged string
	// User and Pass are the basic-auth credentials; HasAuth is false when the
	// URL had none (only allowed with a cookie file).
	User, Pass string
	HasAuth    bool
}

// urlRE matches a trimmed URL without trailing slashes: optional scheme,
// credentials up to the last '@', host (name, IPv4 or bracketed IPv6) and an
// optional port.
var urlRE = regexp.MustCompile(`^(https?://)?(?:(.*)@)?(\[[0-9a-fA-F:.]+\]|[^:/@\[\]\s]+)(?::([0-9]{1,5}))?$`)

// ParseURL normalises one daemon URL as docs/protocol.md, Daemon connection, says:
// trimmed, trailing '/' removed, then "<credentials>@<host>[:<port>]" with
// defaultPort when the port is missing, "http://" prepended when there is no
// scheme and a trailing '/' appended. Credentials are mandatory unless
// credsOptional is set (a cookie file supplies them). A bad form is the
// error `invalid daemon URL: "<url>"`.
func ParseURL(raw string, defaultPort int, credsOptional bool) (Endpoint, error) {
	s := strings.TrimRight(strings.TrimSpace(raw), "/")
	bad := fmt.Errorf("invalid daemon URL: %q", s)
	m := urlRE.FindStringSubmatch(s)
	if m == nil {
		return Endpoint{}, bad
	}
	scheme, creds, host, port := m[1], m[2], m[3], m[4]
	hasAuth := strings.Contains(s, "@")
	if (!hasAuth && !credsOptional) || (hasAuth && creds == "") || strings.Contains(creds, "://") {
		return Endpoint{}, bad
	}
	if port == "" {
		port = strconv.Itoa(defaultPort)
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return Endpoint{}, bad
	}
	if scheme == "" {
		scheme = "http://"
	}
	e := Endpoint{Base: scheme + host + ":" + port + "/", Logged: host + ":" + port, HasAuth: hasAuth}
	e.URL = e.Base
	if hasAuth {
		e.User, e.Pass, _ = strings.Cut(creds, ":")
		e.URL = scheme + creds + "@" + host + ":" + port + "/"
	}
	return e, nil
}

// ParseURLs parses a comma-separated list of daemon URLs (see ParseURL).
func ParseURLs(list string, defaultPort int, credsOptional bool) ([]Endpoint, error) {
	return ParseURLList(strings.Split(list, ","), defaultPort, credsOptional)
}

// ParseURLList parses each entry of urls (see ParseURL); the list must not be
// empty.
func ParseURLList(urls []string, defaultPort int, credsOptional bool) ([]Endpoint, error) {
	if len(urls) == 0 {
		return nil, fmt.Errorf("no daemon URL")
	}
	out := make([]Endpoint, 0, len(urls))
	for _, u := range urls {
		e, err := ParseURL(u, defaultPort, credsOptional)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
