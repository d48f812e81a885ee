package sdk

import "context"

// Capability strings a plugin may list in Description.Capabilities.
const (
	// CapChainBackend: the plugin serves the ChainBackend service.
	CapChainBackend = "chain-backend"
	// CapEstimateSmartFee: the daemon has a native fee estimator.
	CapEstimateSmartFee = "estimatesmartfee"
	// CapVerboseTx: Transaction(verbose=true) is supported.
	CapVerboseTx = "verbose-tx"
)

// Description is a plugin's answer to Describe.
type Description struct {
	Name         string   // plugin name, e.g. "bitcoind"
	Version      string   // the plugin's own version
	SDKVersion   string   // SDK version it was built with (sdk.Version)
	Capabilities []string // Cap* strings
	// Chain backends fill in what they are connected to; empty until
	// Configure has connected to the daemon.
	Coin        string // e.g. "Bitcoin"
	Network     string // "mainnet", "testnet", "testnet4", "signet", "regtest"
	GenesisHash Hash
}

// Tip is the daemon's best chain tip.
type Tip struct {
	Height int64
	Hash   Hash
}

// Block is one raw serialized block at a height of the daemon's best chain.
type Block struct {
	Height int64
	Hash   Hash
	Raw    []byte // consensus serialization (with witness data)
}

// DaemonInfo is what the banner and admin output show about the daemon.
type DaemonInfo struct {
	Version    int64   // getnetworkinfo.version, e.g. 260000 (btcd: getinfo.version)
	Subversion string  // getnetworkinfo.subversion, e.g. "/Satoshi:26.0.0/"
	RelayFee   float64 // minimum relay fee, coin units per kB
}

// ChainBackend is the contract of a daemon-client plugin: everything the core
// needs from a full node to build its index, follow the chain and the mempool,
// and answer the pass-through client methods.
//
// Every method takes a context; implementations must return promptly when it
// is cancelled. Errors should be *Error values so that their Kind survives the
// trip to the host (other errors arrive as KindInternal).
type ChainBackend interface {
	// Describe names the plugin and what it can do. It must be cheap and
	// must not contact the daemon before Configure.
	Describe(ctx context.Context) (Description, error)
	// Configure hands the plugin its configuration block (JSON object) and
	// lets it connect to its daemon. Invalid configuration is a
	// KindInvalidArgument error whose message names the key.
	Configure(ctx context.Context, config []byte) error
	// Tip returns the daemon's best chain tip.
	Tip(ctx context.Context) (Tip, error)
	// BlockHashes returns the hashes of up to count blocks from start on the
	// daemon's best chain (fewer at the tip).
	BlockHashes(ctx context.Context, start int64, count int) ([]Hash, error)
	// Blocks streams up to count raw blocks from start, in height order,
	// calling yield for each. One call serves a whole range: the host does not
	// pay a round trip per block. If yield returns an error, Blocks stops and
	// returns it.
	Blocks(ctx context.Context, start int64, count int, yield func(Block) error) error
	// Transaction returns the daemon's getrawtransaction result as JSON: a hex
	// string when verbose is false, the daemon's object unchanged otherwise.
	Transaction(ctx context.Context, txid Hash, verbose bool) ([]byte, error)
	// Broadcast submits a raw transaction (hex, forwarded unchanged) and
	// returns the txid the daemon reports. A rejection is KindRejected with the
	// daemon's message.
	Broadcast(ctx context.Context, rawTxHex string) (string, error)
	// MempoolTxids lists the daemon's mempool.
	MempoolTxids(ctx context.Context) ([]Hash, error)
	// MempoolTransactions returns the raw transactions for txids, in the same
	// order; an entry is nil when the daemon no longer has that transaction.
	MempoolTransactions(ctx context.Context, txids []Hash) ([][]byte, error)
	// RelayFee returns the minimum relay fee in coin units per kB.
	RelayFee(ctx context.Context) (float64, error)
	// EstimateFee returns the fee rate in coin units per kB for confirmation
	// within blocks, or -1 when the daemon has no estimate. mode is "",
	// "CONSERVATIVE" or "ECONOMICAL".
	EstimateFee(ctx context.Context, blocks int, mode string) (float64, error)
	// DaemonInfo returns the daemon's version, subversion and relay fee.
	DaemonInfo(ctx context.Context) (DaemonInfo, error)
	// SetDaemonURLs replaces the daemon URL list at run time (admin
	// daemon_url) and switches to its first entry.
	SetDaemonURLs(ctx context.Context, urls []string) error
	// Shutdown asks the plugin to finish in-flight work and release its
	// resources before the host stops the process.
	Shutdown(ctx context.Context) error
}
