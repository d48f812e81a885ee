package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/amber-electrum/amber/coins"
)

// minMaxSend is the floor ElectrumX enforces on MAX_SEND.
const minMaxSend = 350_000

// finish validates the merged values and fills in the derived fields.
// sources maps key paths to where their value came from.
func (c *Config) finish(sources map[string]string) error {
	bad := func(key string, err error) error {
		return &KeyError{Key: key, Source: sources[key], Err: err}
	}

	nw, err := coins.Lookup(c.Coin, c.Net)
	if err != nil {
		key := "net"
		if errors.Is(err, coins.ErrUnknownCoin) {
			key = "coin"
		}
		return bad(key, err)
	}
	c.Network = nw
	c.Coin, c.Net = nw.Coin, nw.Name

	if c.DBDirectory == "" {
		return bad("db_directory", ErrRequired)
	}
	c.DaemonURLs = splitList(c.DaemonURL)
	c.PeerSeeds = splitList(c.PeerSeedsSpec)
	if len(c.DaemonURLs) == 0 {
		return bad("daemon_url", ErrRequired)
	}

	if c.Services, err = ParseServices(c.ServicesSpec); err != nil {
		return bad("services", err)
	}
	if c.ReportServices, err = ParseReportServices(c.ReportServicesSpec); err != nil {
		return bad("report_services", err)
	}
	if err := c.checkReportServices(); err != nil {
		return bad("report_services", err)
	}
	for _, s := range c.Services {
		if !s.TLS() {
			continue
		}
		if c.SSLCertfile == "" {
			return bad("ssl_certfile", fmt.Errorf("%w with service %s", ErrRequired, s))
		}
		if c.SSLKeyfile == "" {
			return bad("ssl_keyfile", fmt.Errorf("%w with service %s", ErrRequired, s))
		}
	}

	if err := c.checkNumbers(bad); err != nil {
		return err
	}
	if c.DropClient != "" {
		if c.DropClientRegexp, err = regexp.Compile(c.DropClient); err != nil {
			return bad("drop_client", err)
		}
	}
	if c.BlacklistURL == "" {
		c.BlacklistURL = nw.BlacklistURL
	}
	if err := c.finishLimits(sources, bad); err != nil {
		return err
	}
	return c.finishPlugins(sources)
}

func (c *Config) checkNumbers(bad func(string, error) error) error {
	nonNegative := []struct {
		key string
		v   int
	}{
		{"reorg_limit", c.ReorgLimit}, {"cache_mb", c.CacheMB}, {"tx_cache_mb", c.TxCacheMB}, {"db_bulk_load_kb", c.DBBulkLoadKB}, {"max_send", c.MaxSend},
		{"max_recv", c.MaxRecv}, {"max_sessions", c.MaxSessions}, {"cost_soft_limit", c.CostSoftLimit},
		{"cost_hard_limit", c.CostHardLimit}, {"bandwidth_unit_cost", c.BandwidthUnitCost},
		{"initial_concurrent", c.InitialConcurrent}, {"tor_proxy_port", c.TorProxyPort},
		{"max_batch", c.MaxBatch}, {"max_send_queue", c.MaxSendQueue}, {"max_queued_bytes", c.MaxQueuedBytes},
		{"max_sessions_per_ip", c.MaxSessionsPerIP}, {"max_sessions_per_subnet", c.MaxSessionsPerSubnet},
		{"connect_rate_per_ip", c.ConnectRatePerIP}, {"connect_burst_per_ip", c.ConnectBurstPerIP},
		{"connect_rate_per_subnet", c.ConnectRatePerSubnet}, {"connect_burst_per_subnet", c.ConnectBurstPerSubnet},
	}
	for _, n := range nonNegative {
		if n.v < 0 {
			return bad(n.key, fmt.Errorf("must not be negative, got %d", n.v))
		}
	}
	if c.TorProxyPort > 65535 {
		return bad("tor_proxy_port", fmt.Errorf("invalid port %d", c.TorProxyPort))
	}
	if c.SessionGroupBySubnetIPv4 < 0 || c.SessionGroupBySubnetIPv4 > 32 {
		return bad("session_group_by_subnet_ipv4", fmt.Errorf("prefix length %d not in 0..32", c.SessionGroupBySubnetIPv4))
	}
	if c.SessionGroupBySubnetIPv6 < 0 || c.SessionGroupBySubnetIPv6 > 128 {
		return bad("session_group_by_subnet_ipv6", fmt.Errorf("prefix length %d not in 0..128", c.SessionGroupBySubnetIPv6))
	}
	if c.BandwidthUnitCost == 0 {
		return bad("bandwidth_unit_cost", errors.New("must be positive"))
	}
	if c.ReorgLimit == 0 {
		c.ReorgLimit = c.Network.ReorgLimit
	}
	c.MaxSend = max(c.MaxSend, minMaxSend)
	switch {
	case c.CostHardLimit < c.CostSoftLimit:
		return bad("cost_hard_limit", fmt.Errorf("%d is below cost_soft_limit %d", c.CostHardLimit, c.CostSoftLimit))
	case c.CostHardLimit == c.CostSoftLimit && c.CostSoftLimit != 0:
		c.CostHardLimit = c.CostSoftLimit + 1
	}
	return nil
}

// checkReportServices applies ElectrumX's rules for advertised services.
func (c *Config) checkReportServices() error {
	for _, s := range c.ReportServices {
		if s.Proto == ProtoRPC {
			return fmt.Errorf("%s: rpc cannot be advertised", s)
		}
		if strings.EqualFold(s.Host, "localhost") {
			return fmt.Errorf("%s: bad host", s)
		}
		ip := net.ParseIP(s.Host)
		if ip == nil {
			continue
		}
		if ip.IsUnspecified() || ip.IsMulticast() {
			return fmt.Errorf("%s: bad IP address", s)
		}
		if c.PeerAnnounce && (ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()) {
			return fmt.Errorf("%s: private IP address cannot be announced (set peer_announce off)", s)
		}
	}
	return nil
}

func (c *Config) finishPlugins(sources map[string]string) error {
	if c.Plugins == nil {
		c.Plugins = map[string]*Plugin{}
	}
	if c.Plugins[DaemonPlugin] == nil {
		c.Plugins[DaemonPlugin] = &Plugin{}
	}
	c.Plugins[DaemonPlugin].Implicit = !declared(sources, DaemonPlugin)
	for name, p := range c.Plugins {
		if p == nil {
			p = &Plugin{}
			c.Plugins[name] = p
		}
		p.Name = name
		// Empty lists and maps are nil, whichever source declared them.
		if len(p.Args) == 0 {
			p.Args = nil
		}
		if len(p.Env) == 0 {
			p.Env = nil
		}
		if len(p.Config) == 0 {
			p.Config = nil
		}
		if p.StartTimeout == 0 {
			p.StartTimeout = defaultStartTimeout
		}
		if p.SHA256 != "" {
			key := "plugins." + name + "." + pluginSHA256
			b, err := hex.DecodeString(p.SHA256)
			if err != nil || len(b) != 32 {
				return &KeyError{Key: key, Source: sources[key], Err: fmt.Errorf("want 64 hex digits, got %q", p.SHA256)}
			}
			p.SHA256 = strings.ToLower(p.SHA256)
		}
		if name != DaemonPlugin && p.Path == "" {
			key := "plugins." + name + "." + pluginPath
			return &KeyError{Key: key, Source: pluginSource(sources, name), Err: ErrRequired}
		}
	}
	return nil
}

// declared reports whether a source other than the defaults declared a key
// of plugins.<name>.
func declared(sources map[string]string, name string) bool {
	prefix := "plugins." + name
	for key, src := range sources {
		if (key == prefix || strings.HasPrefix(key, prefix+keyDelim)) && src != "default" {
			return true
		}
	}
	return false
}

// pluginSource names a source that declared plugins.<name>.
func pluginSource(sources map[string]string, name string) string {
	prefix := "plugins." + name
	for _, key := range sortedKeys(sources) {
		if key == prefix || strings.HasPrefix(key, prefix+keyDelim) {
			return sources[key]
		}
	}
	return ""
}
