package sdk

import "context"

// Chain-backend capability strings, listed in Description.Capabilities by
// the backend itself.
const (
	// CapEstimateSmartFee: the daemon has a native fee estimator.
	CapEstimateSmartFee = "estimatesmartfee"
	// CapVerboseTx: Transaction(verbose=true) is supported.
	CapVerboseTx = "verbose-tx"
)

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
	// Lifecycle: Describe must not contact the daemon before Configure;
	// Configure connects to the daemon and fills in Description's Coin,
	// Network and GenesisHash.
	Lifecycle
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
}
