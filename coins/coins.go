package coins

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/btcsuite/btcd/chaincfg"
)

// Network is one (coin, network) pair with everything chain-specific the
// server needs to know before it talks to the daemon.
type Network struct {
	// Coin is the coin name, "Bitcoin".
	Coin string
	// Name is the network name: "mainnet", "testnet", "testnet4", "signet"
	// or "regtest".
	Name string
	// Params are the btcd chain parameters (address encodings, genesis block).
	Params *chaincfg.Params
	// GenesisHash is the hash of block 0 (internal byte order).
	GenesisHash sdk.Hash
	// RPCPort is the daemon's default JSON-RPC port (bitcoind's defaults).
	RPCPort int
	// TCPPort and SSLPort are the Electrum default ports, used for peers
	// announced without an explicit port.
	TCPPort, SSLPort int
	// ReorgLimit is the default REORG_LIMIT: the deepest reorganisation the
	// index survives without re-indexing.
	ReorgLimit int
	// HistogramRefresh is how often the mempool fee histogram is rebuilt
	// (MEMPOOL_HISTOGRAM_REFRESH_SECS).
	HistogramRefresh time.Duration
	// BlacklistURL is the default peer blacklist (BLACKLIST_URL); empty for
	// networks without one.
	BlacklistURL string
}

// String returns "Coin/name", e.g. "Bitcoin/regtest".
func (n *Network) String() string { return n.Coin + "/" + n.Name }

const (
	bitcoin          = "Bitcoin"
	histogramRefresh = 120 * time.Second
	testnetReorg     = 8000
)

func newNetwork(name string, p *chaincfg.Params, rpc, tcp, ssl, reorg int, blacklist string) *Network {
	return &Network{
		Coin:             bitcoin,
		Name:             name,
		Params:           p,
		GenesisHash:      sdk.Hash(*p.GenesisHash),
		RPCPort:          rpc,
		TCPPort:          tcp,
		SSLPort:          ssl,
		ReorgLimit:       reorg,
		HistogramRefresh: histogramRefresh,
		BlacklistURL:     blacklist,
	}
}

// The networks, in the order they are listed in error messages.
var networks = []*Network{
	newNetwork("mainnet", &chaincfg.MainNetParams, 8332, 50001, 50002, 200, "https://electrum.org/blacklist.json"),
	newNetwork("testnet", &chaincfg.TestNet3Params, 18332, 51001, 51002, testnetReorg, ""),
	newNetwork("testnet4", &testNet4Params, 48332, 51001, 51002, testnetReorg, ""),
	newNetwork("signet", &chaincfg.SigNetParams, 38332, 51001, 51002, testnetReorg, ""),
	newNetwork("regtest", &chaincfg.RegressionNetParams, 18443, 51001, 51002, testnetReorg, ""),
}

// Errors returned (wrapped) by Lookup.
var (
	ErrUnknownCoin    = errors.New("unknown coin")
	ErrUnknownNetwork = errors.New("unknown network")
)

// coinNames maps the lower-cased accepted COIN spellings to the coin.
var coinNames = map[string]string{
	"bitcoin":       bitcoin, // SP22
	"bitcoinsegwit": bitcoin, // KY15
}

// netAliases maps lower-cased alternative NET spellings to network names.
var netAliases = map[string]string{
	"testnet3": "testnet",
}

// Networks returns every defined network.
func Networks() []*Network {
	return append([]*Network(nil), networks...)
}

// Lookup returns the network for an ElectrumX-style COIN and NET pair,
// compared case-insensitively. An empty net means "mainnet".
func Lookup(coin, net string) (*Network, error) {
	c, ok := coinNames[strings.ToLower(strings.TrimSpace(coin))]
	if !ok {
		return nil, fmt.Errorf("%w %q: valid coins are Bitcoin, BitcoinSegwit", ErrUnknownCoin, coin)
	}
	n := strings.ToLower(strings.TrimSpace(net))
	if n == "" {
		n = "mainnet"
	}
	if alias, ok := netAliases[n]; ok {
		n = alias
	}
	for _, nw := range networks {
		if nw.Coin == c && nw.Name == n {
			return nw, nil
		}
	}
	return nil, fmt.Errorf("%w %q for coin %s: valid networks are %s", ErrUnknownNetwork, net, c, strings.Join(netNames(), ", "))
}

func netNames() []string {
	names := make([]string, 0, len(networks)+len(netAliases))
	for _, nw := range networks {
		names = append(names, nw.Name)
	}
	for alias := range netAliases {
		names = append(names, alias)
	}
	return names
}
