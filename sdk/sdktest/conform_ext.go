package sdktest

import (
	"context"
	"slices"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// conformExt checks the optional interfaces a backend lists in its
// capabilities: a listed capability must be implemented and must not answer
// KindUnimplemented.
func conformExt(t *testing.T, backend sdk.ChainBackend, ctx func(*testing.T) context.Context) {
	t.Run("OptionalCapabilities", func(t *testing.T) {
		d, err := backend.Describe(ctx(t))
		if err != nil {
			t.Fatalf("Describe: %v", err)
		}
		if slices.Contains(d.Capabilities, sdk.CapMempoolInfo) {
			mi, ok := backend.(sdk.MempoolInfoer)
			if !ok {
				t.Fatalf("%q listed but %T is not an sdk.MempoolInfoer", sdk.CapMempoolInfo, backend)
			}
			info, err := mi.MempoolInfo(ctx(t))
			if err != nil || info.MempoolMinFee < 0 || info.MinRelayTxFee < 0 || info.IncrementalRelayFee < 0 {
				t.Errorf("MempoolInfo = %+v, %v; want fee rates >= 0, nil", info, err)
			}
		}
		if slices.Contains(d.Capabilities, sdk.CapChainEvents) {
			w, ok := backend.(sdk.ChainWatcher)
			if !ok {
				t.Fatalf("%q listed but %T is not an sdk.ChainWatcher", sdk.CapChainEvents, backend)
			}
			// A watch must end with nil when its context ends.
			wctx, cancel := context.WithCancel(ctx(t))
			done := make(chan error, 1)
			go func() { done <- w.WatchChain(wctx, true, func(sdk.ChainEvent) {}) }()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("WatchChain after cancel = %v, want nil", err)
			}
		}
		if slices.Contains(d.Capabilities, sdk.CapBroadcastPackage) {
			pb, ok := backend.(sdk.PackageBroadcaster)
			if !ok {
				t.Fatalf("%q listed but %T is not an sdk.PackageBroadcaster", sdk.CapBroadcastPackage, backend)
			}
			res, err := pb.BroadcastPackage(ctx(t), []string{"not hex"})
			switch k := sdk.KindOf(err); {
			case err == nil && res.Success:
				t.Errorf("BroadcastPackage(garbage) succeeded")
			case err != nil && k != sdk.KindRejected && k != sdk.KindDaemon && k != sdk.KindInvalidArgument:
				t.Errorf("BroadcastPackage(garbage): kind %v (%v), want rejected, daemon or invalid-argument", k, err)
			}
		}
	})
}
