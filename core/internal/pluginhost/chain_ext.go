package pluginhost

import (
	"context"

	"github.com/amber-electrum/amber/sdk"
)

// The optional ChainBackend interfaces (sdk/chain_ext.go), forwarded like
// the required methods. The SDK client adapter implements them all and
// answers KindUnimplemented for a plugin that does not.

var (
	_ sdk.PackageBroadcaster = (*hostChain)(nil)
	_ sdk.MempoolInfoer      = (*hostChain)(nil)
	_ sdk.ChainWatcher       = (*hostChain)(nil)
)

func unimplemented(method string) error {
	return sdk.Errorf(sdk.KindUnimplemented, "plugin adapter does not implement %s", method)
}

func (h *hostChain) BroadcastPackage(ctx context.Context, rawTxsHex []string) (sdk.PackageResult, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (sdk.PackageResult, error) {
		pb, ok := c.(sdk.PackageBroadcaster)
		if !ok {
			return sdk.PackageResult{}, unimplemented("BroadcastPackage")
		}
		return pb.BroadcastPackage(ctx, rawTxsHex)
	})
}

func (h *hostChain) MempoolInfo(ctx context.Context) (sdk.MempoolInfo, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (sdk.MempoolInfo, error) {
		mi, ok := c.(sdk.MempoolInfoer)
		if !ok {
			return sdk.MempoolInfo{}, unimplemented("MempoolInfo")
		}
		return mi.MempoolInfo(ctx)
	})
}

// WatchChain watches through the current instance; a restart ends the watch
// with an error, and the caller's next watch reaches the new instance.
func (h *hostChain) WatchChain(ctx context.Context, mempool bool, notify func(sdk.ChainEvent)) error {
	return callErr(ctx, h.p, func(c sdk.ChainBackend) error {
		w, ok := c.(sdk.ChainWatcher)
		if !ok {
			return unimplemented("WatchChain")
		}
		return w.WatchChain(ctx, mempool, notify)
	})
}
