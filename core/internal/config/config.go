package config

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/amber-electrum/amber/coins"
	"github.com/spf13/afero"
)

// Config is the loaded, validated configuration. Fields tagged koanf are
// configuration keys; the others are derived from them by Load.
type Config struct {
	Coin                     string        `koanf:"coin"`
	Net                      string        `koanf:"net"`
	DBDirectory              string        `koanf:"db_directory"`
	DBEngine                 string        `koanf:"db_engine"`
	DBSync                   string        `koanf:"db_sync"`
	DaemonURL                string        `koanf:"daemon_url"`
	ServicesSpec             string        `koanf:"services"`
	ReportServicesSpec       string        `koanf:"report_services"`
	SSLCertfile              string        `koanf:"ssl_certfile"`
	SSLKeyfile               string        `koanf:"ssl_keyfile"`
	BannerFile               string        `koanf:"banner_file"`
	TorBannerFile            string        `koanf:"tor_banner_file"`
	DonationAddress          string        `koanf:"donation_address"`
	ReorgLimit               int           `koanf:"reorg_limit"`
	CacheMB                  int           `koanf:"cache_mb"`
	TxCacheMB                int           `koanf:"tx_cache_mb"`
	DBBulkLoadKB             int           `koanf:"db_bulk_load_kb"`
	MaxSend                  int           `koanf:"max_send"`
	MaxRecv                  int           `koanf:"max_recv"`
	MaxSessions              int           `koanf:"max_sessions"`
	CostSoftLimit            int           `koanf:"cost_soft_limit"`
	CostHardLimit            int           `koanf:"cost_hard_limit"`
	BandwidthUnitCost        int           `koanf:"bandwidth_unit_cost"`
	InitialConcurrent        int           `koanf:"initial_concurrent"`
	RequestSleep             time.Duration `koanf:"request_sleep"`
	RequestTimeout           time.Duration `koanf:"request_timeout"`
	SessionTimeout           time.Duration `koanf:"session_timeout"`
	SessionGroupBySubnetIPv4 int           `koanf:"session_group_by_subnet_ipv4"`
	SessionGroupBySubnetIPv6 int           `koanf:"session_group_by_subnet_ipv6"`
	MaxBatch                 int           `koanf:"max_batch"`
	MaxSendQueue             int           `koanf:"max_send_queue"`
	MaxQueuedBytes           int           `koanf:"max_queued_bytes"`
	MaxSessionsPerIP         int           `koanf:"max_sessions_per_ip"`
	MaxSessionsPerSubnet     int           `koanf:"max_sessions_per_subnet"`
	ConnectRatePerIP         int           `koanf:"connect_rate_per_ip"`
	ConnectBurstPerIP        int           `koanf:"connect_burst_per_ip"`
	ConnectRatePerSubnet     int           `koanf:"connect_rate_per_subnet"`
	ConnectBurstPerSubnet    int           `koanf:"connect_burst_per_subnet"`
	SessionLimitsPrivate     bool          `koanf:"session_limits_private"`
	HandshakeTimeout         time.Duration `koanf:"handshake_timeout"`
	DropClient               string        `koanf:"drop_client"`
	// Reply padding (issue 12 #10).
	ReplyPadding          bool          `koanf:"reply_padding"`
	ReplyPaddingHold      time.Duration `koanf:"reply_padding_hold"`
	LogLevel              string        `koanf:"log_level"`
	LogFormat             string        `koanf:"log_format"`
	LogSessions           time.Duration `koanf:"log_sessions"`
	AnonLogs              bool          `koanf:"anon_logs"`
	AllowRoot             bool          `koanf:"allow_root"`
	PeerDiscovery         string        `koanf:"peer_discovery"`
	PeerAnnounce          bool          `koanf:"peer_announce"`
	TorProxyHost          string        `koanf:"tor_proxy_host"`
	TorProxyPort          int           `koanf:"tor_proxy_port"`
	ForceProxy            bool          `koanf:"force_proxy"`
	BlacklistURL          string        `koanf:"blacklist_url"`
	MempoolPollInterval   time.Duration `koanf:"mempool_poll_interval"`
	MetricsListen         string        `koanf:"metrics_listen"`
	MetricsAllowRemote    bool          `koanf:"metrics_allow_remote"`
	MetricsPprof          bool          `koanf:"metrics_pprof"`
	RPCAllowRemote        bool          `koanf:"rpc_allow_remote"`
	PeerAllowPrivate      bool          `koanf:"peer_allow_private"`
	PeerSeedsSpec         string        `koanf:"peer_seeds"`
	PluginRestartDelay    time.Duration `koanf:"plugin_restart_delay"`
	PluginRestartMaxDelay time.Duration `koanf:"plugin_restart_max_delay"`
	PluginCrashLimit      int           `koanf:"plugin_crash_limit"`
	PluginCrashWindow     time.Duration `koanf:"plugin_crash_window"`
	// limits (issue 11.6, 11.8, 12.14)
	RPCAuth                   string        `koanf:"rpc_auth"`
	RPCCookieFile             string        `koanf:"rpc_cookie_file"`
	WSAllowedOriginsSpec      string        `koanf:"ws_allowed_origins"`
	DaemonPollIntervalBlocks  time.Duration `koanf:"daemon_poll_interval_blocks"`
	DaemonPollIntervalMempool time.Duration `koanf:"daemon_poll_interval_mempool"`

	// Plugins are the plugins.<name> blocks; plugins.bitcoind always exists.
	Plugins map[string]*Plugin `koanf:"plugins"`

	// Network is the coin/network named by Coin and Net.
	Network *coins.Network `koanf:"-"`
	// PeerSeeds is PeerSeedsSpec split at commas.
	PeerSeeds []string `koanf:"-"`
	// DaemonURLs is DaemonURL split at commas (not otherwise normalised).
	DaemonURLs []string `koanf:"-"`
	// Services and ReportServices are the parsed service lists.
	Services       []Service `koanf:"-"`
	ReportServices []Service `koanf:"-"`
	// DropClientRegexp is DropClient compiled; nil when DropClient is empty.
	DropClientRegexp *regexp.Regexp `koanf:"-"`
	// WSAllowedOrigins is WSAllowedOriginsSpec split at commas; empty
	// means any origin.
	WSAllowedOrigins []string `koanf:"-"`
	// ConfigFile is the file that was loaded, "" if none.
	ConfigFile string `koanf:"-"`

	fs afero.Fs
}

// Plugin is one plugins.<name> block.
type Plugin struct {
	// Name is the block's name (the map key).
	Name string `koanf:"-"`
	// Path is the plugin binary. Empty for bitcoind means "beside amberd".
	Path string `koanf:"path"`
	// SHA256 is the expected hex SHA-256 of the binary, "" to skip the check.
	SHA256 string `koanf:"sha256"`
	// StartTimeout bounds the plugin's start (default 1m).
	StartTimeout time.Duration `koanf:"start_timeout"`
	// Args are the plugin's command-line arguments.
	Args []string `koanf:"args"`
	// Env holds environment variables for the plugin.
	Env map[string]string `koanf:"env"`
	// Config is free-form, handed to the plugin as JSON.
	Config map[string]any `koanf:"config"`
	// Implicit marks the plugins.bitcoind block when no source declared
	// any of its keys: amberd starts the bundled amber-bitcoind from it
	// only if no configured plugin declares the chain-backend capability.
	Implicit bool `koanf:"-"`
}

// ConfigJSON returns the plugin's free-form config as a JSON object ("{}"
// when empty).
func (p *Plugin) ConfigJSON() ([]byte, error) {
	m := p.Config
	if m == nil {
		m = map[string]any{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("plugin %s config: %w", p.Name, err)
	}
	return b, nil
}

// Path resolves a file name from the configuration: relative names are taken
// from DBDirectory, as ElectrumX (which chdirs there) does.
func (c *Config) Path(name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(c.DBDirectory, name)
}

// Banner reads the banner file (the Tor banner file for tor, falling back to
// the plain one). It returns "" with no error when no banner is configured.
func (c *Config) Banner(ctx context.Context, tor bool) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	name := c.BannerFile
	if tor && c.TorBannerFile != "" {
		name = c.TorBannerFile
	}
	if name == "" {
		return "", nil
	}
	fsys := c.fs
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	b, err := afero.ReadFile(fsys, c.Path(name))
	if err != nil {
		return "", fmt.Errorf("banner: %w", err)
	}
	return string(b), nil
}
