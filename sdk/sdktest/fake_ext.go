package sdktest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/amber-electrum/amber/sdk"
)

var (
	_ sdk.PackageBroadcaster = (*Fake)(nil)
	_ sdk.MempoolInfoer      = (*Fake)(nil)
	_ sdk.ChainWatcher       = (*Fake)(nil)
)

// WatchChain implements sdk.ChainWatcher: it delivers what Publish sends
// (mempool events only when asked) until ctx is done. Fail["WatchChain"]
// makes it return that error at once.
func (f *Fake) WatchChain(ctx context.Context, mempool bool, notify func(sdk.ChainEvent)) error {
	ch := make(chan sdk.ChainEvent, 64)
	if err := f.begin(ctx, "WatchChain"); err != nil {
		f.mu.Unlock()
		if ctx.Err() != nil {
			return nil // a watch ends with nil when its context does
		}
		return err
	}
	if f.watchers == nil {
		f.watchers = map[chan sdk.ChainEvent]bool{}
	}
	f.watchers[ch] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.watchers, ch)
		f.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-ch:
			if ev.Kind == sdk.EventBlock || mempool {
				notify(ev)
			}
		}
	}
}

// Watching reports how many WatchChain calls are running.
func (f *Fake) Watching() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.watchers)
}

// Publish sends ev to every running WatchChain (dropped for a watcher
// that is 64 events behind, as a real daemon's hints may be) and reports
// how many watchers there were.
func (f *Fake) Publish(ev sdk.ChainEvent) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.watchers {
		select {
		case ch <- ev:
		default:
		}
	}
	return len(f.watchers)
}

// BroadcastPackage implements sdk.PackageBroadcaster like bitcoind's
// submitpackage: a package with a transaction that is not hex is refused as
// a whole (KindRejected, -22); otherwise transactions listed in Rejects fail
// with their reason, the others are accepted (appended to Sent). JSON is a
// submitpackage-shaped object keyed by txid.
func (f *Fake) BroadcastPackage(ctx context.Context, rawTxsHex []string) (sdk.PackageResult, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "BroadcastPackage"); err != nil {
		return sdk.PackageResult{}, err
	}
	if len(rawTxsHex) == 0 {
		return sdk.PackageResult{}, &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -8,
			DaemonMessage: "Array must contain between 1 and 25 transactions.",
			Message:       "package rejected: Array must contain between 1 and 25 transactions."}
	}
	type txResult struct {
		Txid  string `json:"txid"`
		Error string `json:"error,omitempty"`
	}
	results := map[string]txResult{}
	res := sdk.PackageResult{Success: true}
	var accepted []string
	for _, rawHex := range rawTxsHex {
		raw, err := hex.DecodeString(rawHex)
		if err != nil || len(raw) == 0 {
			return sdk.PackageResult{}, &sdk.Error{Kind: sdk.KindRejected, DaemonCode: -22,
				DaemonMessage: "TX decode failed", Message: "package rejected: TX decode failed"}
		}
		txid := DoubleSHA256(raw).String()
		r := txResult{Txid: txid}
		if reason, ok := f.Rejects[rawHex]; ok {
			r.Error = reason
			res.Success = false
			res.Errors = append(res.Errors, sdk.PackageTxError{Txid: txid, Error: reason})
		} else {
			accepted = append(accepted, rawHex)
		}
		results[txid] = r
	}
	f.Sent = append(f.Sent, accepted...)
	f.Packages = append(f.Packages, slices.Clone(rawTxsHex))
	msg := "success"
	if !res.Success {
		msg = "transaction failed"
	}
	res.JSON, _ = json.Marshal(map[string]any{"package_msg": msg, "tx-results": results,
		"replaced-transactions": []string{}})
	return res, nil
}

// MempoolInfo implements sdk.MempoolInfoer with MempoolFee.
func (f *Fake) MempoolInfo(ctx context.Context) (sdk.MempoolInfo, error) {
	defer f.mu.Unlock()
	if err := f.begin(ctx, "MempoolInfo"); err != nil {
		return sdk.MempoolInfo{}, err
	}
	return f.MempoolFee, nil
}
