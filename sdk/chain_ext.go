package sdk

import "context"

// Optional ChainBackend capabilities (SDK 1.x additions). ChainBackend itself
// is unchanged: a backend opts in by also implementing the interface below
// and listing the capability string in Description.Capabilities. The host
// reaches them through a type assertion on the backend (the gRPC client
// adapter, *ChainClient, implements both and reports KindUnimplemented when
// the plugin does not).
const (
	// CapBroadcastPackage: the backend implements PackageBroadcaster.
	CapBroadcastPackage = "broadcast-package"
	// CapMempoolInfo: the backend implements MempoolInfoer.
	CapMempoolInfo = "mempool-info"
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
