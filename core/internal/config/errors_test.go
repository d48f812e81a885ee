package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadErrors(t *testing.T) {
	yamlFile := func(body string) map[string]string { return map[string]string{"/c.yaml": body} }
	withFile := append([]string{"AMBER_CONFIG=/c.yaml"}, required...)
	tests := []struct {
		name     string
		files    map[string]string
		env      []string
		args     []string
		key, src string // want KeyError.Key and a substring of Source
		is       error  // want errors.Is, if set
	}{
		{"unknown file key", yamlFile("max_sned: 5\n"), withFile, nil, "max_sned", "file /c.yaml", ErrUnknownKey},
		{"unknown nested file key", yamlFile("plugins: {bitcoind: {pth: x}}\n"), withFile, nil, "plugins.bitcoind.pth", "file /c.yaml", ErrUnknownKey},
		{"unknown toml key", map[string]string{"/c.toml": "colour = 1\n"}, append([]string{"AMBER_CONFIG=/c.toml"}, required...), nil, "colour", "file /c.toml", ErrUnknownKey},
		{"unknown AMBER env", nil, append([]string{"AMBER_MAX_SNED=5"}, required...), nil, "max_sned", "env AMBER_MAX_SNED", ErrUnknownKey},
		{"AMBER env for plugins block", nil, append([]string{"AMBER_PLUGINS__BITCOIND=x"}, required...), nil, "plugins.bitcoind", "env AMBER_PLUGINS__BITCOIND", ErrUnknownKey},
		{"bad int file", yamlFile("max_send: lots\n"), withFile, nil, "max_send", "file /c.yaml", nil},
		{"bad int float", yamlFile("max_send: 1.5\n"), withFile, nil, "max_send", "file /c.yaml", nil},
		{"bad int env", nil, append([]string{"AMBER_CACHE_MB=1e3"}, required...), nil, "cache_mb", "env AMBER_CACHE_MB", nil},
		{"bad int electrumx env", nil, append([]string{"MAX_SESSIONS=many"}, required...), nil, "max_sessions", "env MAX_SESSIONS", nil},
		{"bad int flag", nil, required, []string{"--max-recv=x"}, "max_recv", "flag --max-recv", nil},
		{"bad duration", nil, append([]string{"AMBER_REQUEST_TIMEOUT=soon"}, required...), nil, "request_timeout", "env AMBER_REQUEST_TIMEOUT", nil},
		{"negative duration", yamlFile("session_timeout: -5\n"), withFile, nil, "session_timeout", "file", nil},
		{"bad bool", nil, append([]string{"AMBER_ANON_LOGS=maybe"}, required...), nil, "anon_logs", "env AMBER_ANON_LOGS", nil},
		{"bad enum", yamlFile("db_sync: sometimes\n"), withFile, nil, "db_sync", "file /c.yaml", nil},
		{"bad log level", nil, required, []string{"--log-level", "loud"}, "log_level", "flag --log-level", nil},
		{"bad regex", nil, append([]string{"DROP_CLIENT=([a-"}, required...), nil, "drop_client", "env DROP_CLIENT", nil},
		{"bad services", nil, append([]string{"SERVICES=tcp://:50001,ftp://:21"}, required...), nil, "services", "env SERVICES", nil},
		{"bad report services", nil, append([]string{"REPORT_SERVICES=rpc://example.com:8000"}, required...), nil, "report_services", "env REPORT_SERVICES", nil},
		{"private report host", nil, append([]string{"REPORT_SERVICES=tcp://10.0.0.1:50001"}, required...), nil, "report_services", "env", nil},
		{"list in scalar", yamlFile("coin: [a, b]\n"), withFile, nil, "coin", "file", nil},
		{"obsolete HOST", nil, append([]string{"HOST=0.0.0.0"}, required...), nil, "HOST", "env HOST", ErrObsolete},
		{"obsolete MAX_SUBS", nil, append([]string{"MAX_SUBS=1"}, required...), nil, "MAX_SUBS", "env MAX_SUBS", ErrObsolete},
		{"obsolete REPORT_SSL_PORT_TOR", nil, append([]string{"REPORT_SSL_PORT_TOR="}, required...), nil, "REPORT_SSL_PORT_TOR", "env", ErrObsolete},
		{"obsolete DROP_CLIENT_UNKNOWN", nil, append([]string{"DROP_CLIENT_UNKNOWN=1"}, required...), nil, "DROP_CLIENT_UNKNOWN", "env DROP_CLIENT_UNKNOWN", ErrObsolete},
		{"missing db_directory", nil, []string{"DAEMON_URL=a:b@h"}, nil, "db_directory", "default", ErrRequired},
		{"missing daemon_url", nil, []string{"DB_DIRECTORY=/d", "DAEMON_URL= , "}, nil, "daemon_url", "env DAEMON_URL", ErrRequired},
		{"ssl without cert", nil, append([]string{"SERVICES=wss://:50004"}, required...), nil, "ssl_certfile", "default", ErrRequired},
		{"ssl without key", nil, append([]string{"SERVICES=ssl://:50002", "SSL_CERTFILE=c"}, required...), nil, "ssl_keyfile", "default", ErrRequired},
		{"hard below soft", nil, append([]string{"COST_SOFT_LIMIT=100", "AMBER_COST_HARD_LIMIT=50"}, required...), nil, "cost_hard_limit", "env AMBER_COST_HARD_LIMIT", nil},
		{"bad coin", nil, append([]string{"COIN=Dogecoin"}, required...), nil, "coin", "env COIN", nil},
		{"bad net", yamlFile("net: moonnet\n"), withFile, nil, "net", "file /c.yaml", nil},
		{"bad sha256", yamlFile("plugins: {bitcoind: {sha256: abc}}\n"), withFile, nil, "plugins.bitcoind.sha256", "file", nil},
		{"plugin without path", yamlFile("plugins: {bmm: {}}\n"), withFile, nil, "plugins.bmm.path", "file", ErrRequired},
		{"plugin without path via env", nil, append([]string{"AMBER_PLUGINS__BMM__ARGS=a"}, required...), nil, "plugins.bmm.path", "env AMBER_PLUGINS__BMM__ARGS", ErrRequired},
		{"bad plugin name", yamlFile("plugins: {Bad.Name: {path: x}}\n"), withFile, nil, "", "", nil},
		{"plugin env not scalar", yamlFile("plugins: {bitcoind: {env: {A: [1]}}}\n"), withFile, nil, "plugins.bitcoind.env.A", "file", nil},
		{"subnet out of range", nil, append([]string{"SESSION_GROUP_BY_SUBNET_IPV4=33"}, required...), nil, "session_group_by_subnet_ipv4", "env", nil},
		{"tor port out of range", nil, append([]string{"TOR_PROXY_PORT=70000"}, required...), nil, "tor_proxy_port", "env", nil},
		{"negative int", nil, required, []string{"--cache-mb=-1"}, "cache_mb", "flag --cache-mb", nil},
		{"missing file", nil, required, []string{"--config=/nope.yaml"}, "", "", nil},
		{"unknown format", map[string]string{"/c.ini": "a=1"}, required, []string{"--config=/c.ini"}, "", "", nil},
		{"bad yaml", yamlFile("a: [\n"), withFile, nil, "", "", nil},
		{"unknown flag", nil, required, []string{"--nope"}, "", "", nil},
		{"positional arg", nil, required, []string{"extra"}, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.files, tc.env, tc.args...)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q lacks the config: prefix", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if tc.key == "" {
				return
			}
			ke := keyError(t, err)
			if ke.Key != tc.key || !strings.Contains(ke.Source, tc.src) {
				t.Errorf("KeyError key %q source %q, want key %q source containing %q (%v)", ke.Key, ke.Source, tc.key, tc.src, err)
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Errorf("message %q does not name the key", err)
			}
		})
	}
}
