package sdk

import "context"

// Optional ChainBackend capabilities (SDK 1.x additions). ChainBackend itself
// is unchanged: a backend opts in by also implementing the interface below
// and listing the capability string in Description.Capabilities. The host
// reaches them through a type assertion on the backend (amberd's gRPC
// adapter, hostside.ChainClient, implements them and reports KindUnimplemented when
// the plugin does not).
const (
	// CapBroadcastPackage: the backend implements PackageBroadcaster.
	CapBroadcastPackage = "broadcast-package"
	// CapMempoolInfo: the backend implements MempoolInfoer.
	CapMempoolInfo = "mempool-info"
	// CapChainEvents: the backend implements ChainWatcher.
	CapChainEvents = "chain-events"
)

// PackageTxError is one rejected transaction of a package.
type PackageTxError struct {
	Txid  string // display hex
	Error string // the daemon's reject reason
}

// PackageResult is the outcome of BroadcastPackage.
type PackageResult struct {
	// Success: every transaction was accepted (or was already in the mempool).
	Success bool
	// Errors lists the rejected transactions, in package order.
	Errors []PackageTxError
	// JSON is the daemon's full answer as a JSON object (bitcoind's
	// submitpackage result, or the backend's equivalent); nil if none.
	JSON []byte
}

// PackageBroadcaster submits a package of related transactions (Electrum
// protocol 1.6 blockchain.transaction.broadcast_package).
type PackageBroadcaster interface {
	// BroadcastPackage submits rawTxsHex (parents first) as one package.
	// Per-transaction rejections are reported in the result; an error means
	// the package as a whole was refused (KindRejected with the daemon's
	// message) or the daemon could not be asked.
	BroadcastPackage(ctx context.Context, rawTxsHex []string) (PackageResult, error)
}

// MempoolInfo holds the daemon's mempool fee floors, in coin units per kB.
type MempoolInfo struct {
	MempoolMinFee       float64 // getmempoolinfo.mempoolminfee
	MinRelayTxFee       float64 // getmempoolinfo.minrelaytxfee
	IncrementalRelayFee float64 // getmempoolinfo.incrementalrelayfee
}

// MempoolInfoer reports the mempool fee floors (Electrum protocol 1.6
// mempool.get_info).
type MempoolInfoer interface {
	MempoolInfo(ctx context.Context) (MempoolInfo, error)
}

// ChainEventKind says what a ChainEvent hints at.
type ChainEventKind int

const (
	// EventBlock: the best chain changed (a block was connected).
	EventBlock ChainEventKind = iota + 1
	// EventMempool: a transaction entered the mempool.
	EventMempool
)

// ChainEvent is a hint from the daemon's push notifications (btcd's
// websocket notifyblocks, bitcoind's waitfornewblock, ZMQ, ...). It is only
// a hint: the host re-reads Tip and the mempool itself, so a backend may
// coalesce, repeat or (rarely) miss events; the host's polling covers a
// missed one.
type ChainEvent struct {
	Kind ChainEventKind
	// Height and Hash of the connected block, or the txid of a mempool
	// event, when the daemon said; zero otherwise.
	Height int64
	Hash   Hash
}

// ChainWatcher pushes chain events, so that the host follows a new block at
// once instead of at its next poll.
type ChainWatcher interface {
	// WatchChain calls notify for each event until ctx is done (then it
	// returns nil) or the daemon's notification channel fails (an error;
	// the host retries later). Mempool events are sent only when mempool is
	// set. KindUnimplemented means the daemon has no notification channel.
	// notify must not block for long.
	WatchChain(ctx context.Context, mempool bool, notify func(ChainEvent)) error
}
