package peers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// Index is what verification needs from our chain index: the tip and raw
// headers to compare with a peer's (core/internal/index.Index fits).
type Index interface {
	Tip() (height int64, hash sdk.Hash, header []byte)
	Headers(ctx context.Context, start int64, count int) ([]byte, error)
}

// Dialer opens outgoing TCP connections (net.Dialer fits). It is used for
// direct connections, proxy probes and connections to the proxy.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Resolver resolves host names for server.add_peer's source check
// (net.Resolver fits).
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Identity is one of our own advertised hosts (one per REPORT_SERVICES
// host). Its ports come from OurFeatures()["hosts"][Host].
type Identity struct {
	Host string
}

// Options configures a Manager. Zero values work: mode off, net.Dialer, net.DefaultResolver, default ports 50001/50002.
type Options struct {
	// Mode is peer_discovery: "on", "self" or "off" (see the package doc).
	Mode string
	// Seeds are real names ("host s50002 t50001") from peer_seeds, noted
	// with source "env" (mode on only).
	Seeds []string
	// Announce is peer_announce: call server.add_peer on peers that do not
	// list our public clearnet identity.
	Announce bool
	// Self are our identities. Empty: one per host of OurFeatures' hosts.
	Self []Identity
	// OurFeatures returns our server.features object (FeaturesMap converts
	// a struct); it gives server.version's arguments, our identities'
	// features and what we announce.
	OurFeatures func() map[string]any
	// Genesis is our genesis block hash; a peer's must match.
	Genesis sdk.Hash
	// Index is our chain index for the header check.
	Index Index
	// AllowPrivate admits peers on private and loopback addresses
	// (peer_allow_private).
	AllowPrivate bool
	// TorProxy is the SOCKS5 proxy "host:port", or "host" to probe ports
	// 9050, 9150 and 1080 (every 900 s until found). Empty: no proxy, so
	// onion peers are ignored.
	TorProxy string
	// ForceProxy sends every outgoing connection through the proxy.
	ForceProxy bool
	// BlacklistURL is fetched every 600 s when non-empty (JSON array of
	// host names, "*.domain" patterns or IPs).
	BlacklistURL string
	// DefaultPorts are the coin's ports for bare "s"/"t" in real names.
	DefaultPorts DefaultPorts
	// RequestTimeout bounds each request to a peer (default 30 s; 120 s over
	// the proxy).
	RequestTimeout time.Duration

	// LocalIP, when set, is the source address of direct (not proxied)
	// connections made by the default dialer: our listening IP when
	// SERVICES names one, so peers see the right source (docs/protocol.md, Peer discovery).
	LocalIP net.IP

	Dialer   Dialer
	Resolver Resolver
	Logger   *slog.Logger
}

// FeaturesMap converts a server.features value (a struct or map) to the
// map form Options.OurFeatures returns, through JSON.
func FeaturesMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	m, _ := decodeObject(b)
	return m
}

// decodeObject decodes a JSON object keeping numbers as json.Number.
func decodeObject(b []byte) (map[string]any, bool) {
	var v any
	if decodeJSON(b, &v) != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// Modes.
const (
	modeOff = iota
	modeSelf
	modeOn
)

func parseMode(s string) int {
	switch s {
	case "", "off", "no", "none", "false":
		return modeOff
	case "self":
		return modeSelf
	}
	return modeOn
}
