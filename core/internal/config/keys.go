package config

import (
	"strings"
	"time"
)

// kind is how a key's value is parsed.
type kind int

const (
	kindString    kind = iota
	kindInt            // integer
	kindBool           // true/false/1/0/on/off/yes/no
	kindDuration       // Go duration ("30s") or a bare number in the key's unit
	kindList           // comma-separated list; a file may also give a list of strings
	kindEnum           // one of enum, case-insensitive
	kindRegex          // regular expression
	kindStrings        // list of strings (plugin args)
	kindStringMap      // map of strings (plugin env)
	kindAny            // free-form (plugin config)
)

// keyDef describes one configuration key.
type keyDef struct {
	name    string        // config-file key, snake_case
	exName  string        // ElectrumX environment variable, "" if none
	kind    kind          // how values are parsed
	def     any           // default (already in normalised form), nil for none
	unit    time.Duration // unit of a bare number (kindDuration)
	enum    []string      // allowed values (kindEnum), lower case
	aliases map[string]string
	help    string
}

// Plugin sub-keys, under plugins.<name>.
const (
	pluginPath         = "path"
	pluginSHA256       = "sha256"
	pluginStartTimeout = "start_timeout"
	pluginArgs         = "args"
	pluginEnv          = "env"
	pluginConfig       = "config"

	defaultStartTimeout = time.Minute
	// DaemonPlugin is the block of the bundled daemon client (amber-bitcoind);
	// the chain backend is whichever plugin declares the capability.
	DaemonPlugin = "bitcoind"
)

var keyDefs = []keyDef{
	{name: "coin", exName: "COIN", kind: kindString, def: "Bitcoin", help: "coin: Bitcoin (or ElectrumX's BitcoinSegwit)"},
	{name: "net", exName: "NET", kind: kindString, def: "mainnet", help: "network: mainnet, testnet (testnet3), testnet4, signet or regtest"},
	{name: "db_directory", exName: "DB_DIRECTORY", kind: kindString, def: "", help: "database directory (required); relative banner/SSL paths resolve from it"},
	{name: "db_engine", exName: "DB_ENGINE", kind: kindEnum, def: "pebble", enum: []string{"pebble", "buntdb"}, help: "database engine: pebble or buntdb (ElectrumX's DB_ENGINE leveldb and rocksdb select pebble)"},
	{name: "db_sync", kind: kindEnum, def: "everysecond", enum: []string{"always", "everysecond", "never"}, help: "database fsync policy: always, everysecond or never"},
	{name: "daemon_url", exName: "DAEMON_URL", kind: kindList, def: "", help: "daemon RPC URLs, comma-separated, user:pass@host:port (required)"},
	{name: "services", exName: "SERVICES", kind: kindList, def: "", help: "listening services, e.g. tcp://:50001,ssl://:50002,ws://:50003,wss://:50004,rpc://"},
	{name: "report_services", exName: "REPORT_SERVICES", kind: kindList, def: "", help: "services advertised to peers and clients (no rpc, public hosts)"},
	{name: "ssl_certfile", exName: "SSL_CERTFILE", kind: kindString, def: "", help: "TLS certificate file (required with ssl/wss services)"},
	{name: "ssl_keyfile", exName: "SSL_KEYFILE", kind: kindString, def: "", help: "TLS private key file (required with ssl/wss services)"},
	{name: "banner_file", exName: "BANNER_FILE", kind: kindString, def: "", help: "server.banner text file"},
	{name: "tor_banner_file", exName: "TOR_BANNER_FILE", kind: kindString, def: "", help: "banner for Tor clients (default: banner_file)"},
	{name: "donation_address", exName: "DONATION_ADDRESS", kind: kindString, def: "", help: "server.donation_address result"},
	{name: "reorg_limit", exName: "REORG_LIMIT", kind: kindInt, def: 0, help: "deepest reorg survivable without re-indexing (0 = coin default)"},
	{name: "cache_mb", exName: "CACHE_MB", kind: kindInt, def: 1200, help: "memory budget in MB: pebble's block cache and memtables, and the initial sync's batches"},
	{name: "db_bulk_load_kb", kind: kindInt, def: 8192, help: "pebble: initial-sync batches of at least this many KB of rows are ingested as sorted tables, not written through the write-ahead log and memtables (0 = never)"},
	{name: "tx_cache_mb", kind: kindInt, def: 32, help: "blockchain.transaction.get answer cache in MB (0 = off)"},
	{name: "max_send", exName: "MAX_SEND", kind: kindInt, def: 8_100_000, help: "largest response in bytes (Bitcoin's DEFAULT_MAX_SEND; values below 350000 are raised to 350000)"},
	{name: "max_recv", exName: "MAX_RECV", kind: kindInt, def: 1_000_000, help: "largest incoming message in bytes"},
	{name: "max_sessions", exName: "MAX_SESSIONS", kind: kindInt, def: 1000, help: "maximum client sessions"},
	{name: "cost_soft_limit", exName: "COST_SOFT_LIMIT", kind: kindInt, def: 1000, help: "session cost where throttling starts"},
	{name: "cost_hard_limit", exName: "COST_HARD_LIMIT", kind: kindInt, def: 10000, help: "session cost where the session is dropped"},
	{name: "bandwidth_unit_cost", exName: "BANDWIDTH_UNIT_COST", kind: kindInt, def: 5000, help: "bytes per 1.0 of cost"},
	{name: "initial_concurrent", exName: "INITIAL_CONCURRENT", kind: kindInt, def: 10, help: "concurrent requests per unthrottled session"},
	{name: "request_sleep", exName: "REQUEST_SLEEP", kind: kindDuration, def: 2500 * time.Millisecond, unit: time.Millisecond, help: "maximum throttling delay per request (bare number: milliseconds)"},
	{name: "request_timeout", exName: "REQUEST_TIMEOUT", kind: kindDuration, def: 30 * time.Second, unit: time.Second, help: "per-request time limit (bare number: seconds)"},
	{name: "session_timeout", exName: "SESSION_TIMEOUT", kind: kindDuration, def: 600 * time.Second, unit: time.Second, help: "idle session time limit (bare number: seconds)"},
	{name: "session_group_by_subnet_ipv4", exName: "SESSION_GROUP_BY_SUBNET_IPV4", kind: kindInt, def: 24, help: "IPv4 prefix length grouping sessions"},
	{name: "session_group_by_subnet_ipv6", exName: "SESSION_GROUP_BY_SUBNET_IPV6", kind: kindInt, def: 48, help: "IPv6 prefix length grouping sessions"},
	// Session hardening (issue 11.2–11.5).
	{name: "max_batch", kind: kindInt, def: 10000, help: "most requests in one JSON-RPC batch (0 = no limit)"},
	{name: "max_send_queue", kind: kindInt, def: 16_000_000, help: "bytes queued for one client before its session is closed (0 = no byte bound)"},
	{name: "max_queued_bytes", kind: kindInt, def: 256_000_000, help: "server-wide bytes of queued replies and requests in progress; over it the largest holders are closed (0 = no bound)"},
	{name: "max_sessions_per_ip", kind: kindInt, def: 100, help: "client sessions per IP address (0 = no limit)"},
	{name: "max_sessions_per_subnet", kind: kindInt, def: 500, help: "client sessions per /24 (IPv4) or /48 (IPv6) group, as session_group_by_subnet_* set (0 = no limit)"},
	{name: "connect_rate_per_ip", kind: kindInt, def: 10, help: "new client sessions a second one IP address may open, after its burst (0 = no limit)"},
	{name: "connect_burst_per_ip", kind: kindInt, def: 100, help: "new client sessions one IP address may open at once before connect_rate_per_ip applies"},
	{name: "connect_rate_per_subnet", kind: kindInt, def: 10, help: "new client sessions a second one /24 (IPv4) or /48 (IPv6) group may open, after its burst (0 = no limit): bounds a client that takes a new address for each connection (an IPv6 /48 holds 2^80 addresses); a /24 behind carrier-grade NAT may hold hundreds of wallets, but each opens a session when it starts or changes network, so 10 a second (36,000 an hour) is far above what one real /24 opens"},
	{name: "connect_burst_per_subnet", kind: kindInt, def: 500, help: "new client sessions one /24 or /48 group may open at once before connect_rate_per_subnet applies: as many as max_sessions_per_subnet lets it hold (as connect_burst_per_ip matches max_sessions_per_ip), so that a NATed /24's wallets can reconnect together after a restart"},
	{name: "session_limits_private", kind: kindBool, def: false, help: "apply the per-IP and per-subnet caps, the connect rates and the /24 and /48 cost groups to loopback and private addresses too"},
	{name: "handshake_timeout", kind: kindDuration, def: 15 * time.Second, unit: time.Second, help: "time from connect to the first request, TLS handshake included (bare number: seconds; 0 = none)"},
	{name: "drop_client", exName: "DROP_CLIENT", kind: kindRegex, def: "", help: "regular expression; matching client names are disconnected"},
	// Reply padding of TCP/TLS sessions (issue 12 #10; ElectrumX 1.18+ PaddedRSTransport).
	{name: "reply_padding", kind: kindBool, def: true, help: "pad TCP/TLS replies with spaces to power-of-two sizes of at least 1024 bytes"},
	{name: "reply_padding_hold", kind: kindDuration, def: time.Duration(0), unit: time.Millisecond, help: "with reply_padding, hold small replies up to this long to coalesce them (ElectrumX: 1s; 0 = send at once; bare number: milliseconds)"},
	{name: "log_level", exName: "LOG_LEVEL", kind: kindEnum, def: "info", enum: []string{"debug", "info", "warn", "error"}, aliases: map[string]string{"warning": "warn"}, help: "log level: debug, info, warn or error"},
	{name: "log_format", kind: kindEnum, def: "text", enum: []string{"text", "json"}, help: "log format: text or json"},
	{name: "log_sessions", exName: "LOG_SESSIONS", kind: kindDuration, def: 3600 * time.Second, unit: time.Second, help: "session statistics log period (bare number: seconds; 0 = off)"},
	{name: "anon_logs", exName: "ANON_LOGS", kind: kindBool, def: false, help: "hide client IP addresses in logs"},
	{name: "allow_root", exName: "ALLOW_ROOT", kind: kindBool, def: false, help: "run as root anyway (amberd refuses root otherwise)"},
	{name: "peer_discovery", exName: "PEER_DISCOVERY", kind: kindEnum, def: "on", enum: []string{"on", "off", "self"}, aliases: map[string]string{"true": "on", "false": "off"}, help: "peer discovery: on, off or self"},
	{name: "peer_announce", exName: "PEER_ANNOUNCE", kind: kindBool, def: true, help: "announce this server to peers"},
	{name: "tor_proxy_host", exName: "TOR_PROXY_HOST", kind: kindString, def: "localhost", help: "Tor SOCKS proxy host"},
	{name: "tor_proxy_port", exName: "TOR_PROXY_PORT", kind: kindInt, def: 0, help: "Tor SOCKS proxy port (0 = try 9050, 9150, 1080)"},
	{name: "force_proxy", exName: "FORCE_PROXY", kind: kindBool, def: false, help: "reach all peers through the Tor proxy"},
	{name: "blacklist_url", exName: "BLACKLIST_URL", kind: kindString, def: "", help: "peer blacklist URL (empty = coin default)"},
	{name: "mempool_poll_interval", kind: kindDuration, def: 5 * time.Second, unit: time.Second, help: "mempool poll period (bare number: seconds)"},
	{name: "metrics_listen", kind: kindString, def: "", help: "metrics HTTP listen address, empty = off"},
	{name: "metrics_pprof", kind: kindBool, def: false, help: "also serve Go's /debug/pprof/ profiles on the metrics endpoint"},
	{name: "metrics_allow_remote", kind: kindBool, def: false, help: "allow the metrics endpoint on a non-loopback address"},
	{name: "rpc_allow_remote", kind: kindBool, def: false, help: "allow the admin RPC on a non-loopback address (use rpc_auth cookie)"},
	{name: "peer_allow_private", exName: "PEER_ALLOW_PRIVATE", kind: kindBool, def: false, help: "accept peers on private and loopback addresses (private networks, tests)"},
	{name: "peer_seeds", kind: kindList, def: "", help: "peers to seed discovery with, comma-separated \"host s50002 t50001\" entries"},
	{name: "plugin_restart_delay", kind: kindDuration, def: time.Second, unit: time.Second, help: "first delay before restarting a crashed plugin; doubles per crash (bare number: seconds)"},
	{name: "plugin_restart_max_delay", kind: kindDuration, def: 2 * time.Minute, unit: time.Second, help: "longest delay between plugin restarts (bare number: seconds)"},
	{name: "plugin_crash_limit", kind: kindInt, def: 5, help: "crashes within plugin_crash_window that stop restarting a plugin (crash-loop breaker)"},
	{name: "plugin_crash_window", kind: kindDuration, def: 10 * time.Minute, unit: time.Second, help: "window of the crash-loop breaker (bare number: seconds)"},
	// limits (issue 11.6, 11.8, 12.14)
	{name: "rpc_auth", kind: kindEnum, def: "none", enum: []string{"none", "cookie"}, help: "admin RPC authentication: none, or cookie (a secret written to rpc_cookie_file at start, required in every admin request)"},
	{name: "rpc_cookie_file", kind: kindString, def: "", help: "admin RPC cookie file (empty = rpc.cookie in db_directory; relative paths from db_directory)"},
	{name: "ws_allowed_origins", kind: kindList, def: "", help: "websocket Origin values allowed, comma-separated (empty = any origin; requests without Origin are always allowed)"},
	{name: "daemon_poll_interval_blocks", exName: "DAEMON_POLL_INTERVAL_BLOCKS", kind: kindDuration, def: time.Duration(0), unit: time.Millisecond, help: "ElectrumX's block poll period (bare number: ms; 0 = unset); see mempool_poll_interval"},
	{name: "daemon_poll_interval_mempool", exName: "DAEMON_POLL_INTERVAL_MEMPOOL", kind: kindDuration, def: time.Duration(0), unit: time.Millisecond, help: "ElectrumX's mempool poll period (bare number: ms; 0 = unset); see mempool_poll_interval"},
}

// pluginDefs describes the keys of a plugins.<name> block.
var pluginDefs = []keyDef{
	{name: pluginPath, kind: kindString, def: "", help: "plugin binary (empty for bitcoind: beside amberd)"},
	{name: pluginSHA256, kind: kindString, def: "", help: "expected SHA-256 of the binary, hex (empty = not checked)"},
	{name: pluginStartTimeout, kind: kindDuration, def: defaultStartTimeout, unit: time.Second, help: "plugin start time limit (bare number: seconds)"},
	{name: pluginArgs, kind: kindStrings, help: "plugin command-line arguments"},
	{name: pluginEnv, kind: kindStringMap, help: "plugin environment variables"},
	{name: pluginConfig, kind: kindAny, help: "free-form settings handed to the plugin as JSON"},
}

// obsoleteVars are ElectrumX variables that no longer exist, with what
// replaces them.
var obsoleteVars = map[string]string{
	"MAX_SUBS":            "subscriptions are no longer capped",
	"MAX_SESSION_SUBS":    "subscriptions are no longer capped",
	"MAX_SUBSCRIPTIONS":   "subscriptions are no longer capped",
	"BANDWIDTH_LIMIT":     "use BANDWIDTH_UNIT_COST and the cost limits",
	"HOST":                "use SERVICES",
	"TCP_PORT":            "use SERVICES",
	"SSL_PORT":            "use SERVICES",
	"RPC_HOST":            "use SERVICES (rpc://host:port)",
	"RPC_PORT":            "use SERVICES (rpc://host:port)",
	"REPORT_HOST":         "use REPORT_SERVICES",
	"REPORT_TCP_PORT":     "use REPORT_SERVICES",
	"REPORT_SSL_PORT":     "use REPORT_SERVICES",
	"REPORT_HOST_TOR":     "use REPORT_SERVICES",
	"REPORT_TCP_PORT_TOR": "use REPORT_SERVICES",
	"REPORT_SSL_PORT_TOR": "use REPORT_SERVICES",
	// Parity block (issue 12): removed upstream; server.version is always
	// required first now (ElectrumX 1.19+).
	"DROP_CLIENT_UNKNOWN": "server.version is always required as the first message",
}

// ignoredElectrumXVars are ElectrumX variables Amber reads but does not use,
// because their values mean something else here.
var ignoredElectrumXVars = map[string]string{
	"LOG_FORMAT":        "ElectrumX's Python format string does not apply; use AMBER_LOG_FORMAT",
	"EVENT_LOOP_POLICY": "Python-only",
}

var keyIndex = func() map[string]*keyDef {
	m := make(map[string]*keyDef, len(keyDefs))
	for i := range keyDefs {
		m[keyDefs[i].name] = &keyDefs[i]
	}
	return m
}()

var pluginIndex = func() map[string]*keyDef {
	m := make(map[string]*keyDef, len(pluginDefs))
	for i := range pluginDefs {
		m[pluginDefs[i].name] = &pluginDefs[i]
	}
	return m
}()

// envName is the AMBER_ environment variable for a key path ("plugins",
// "bitcoind", "path" → AMBER_PLUGINS__BITCOIND__PATH).
func envName(path ...string) string {
	return envPrefix + strings.ToUpper(strings.Join(path, envNest))
}

// flagName is the command-line flag for a top-level key.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

const (
	envPrefix = "AMBER_"
	envNest   = "__"
	keyDelim  = "."
)
