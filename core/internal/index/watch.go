package index

import (
	"context"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// Push hints from the daemon plugin (sdk.ChainWatcher): a block event wakes
// the processor at once instead of at its next poll; mempool events wake it
// at once and then at most once per mempoolWakeGap, so a flood of transactions costs a few
// mempool rounds a second, not one round per transaction. Polling stays on
// as the safety net for a missed or late hint.
const (
	mempoolWakeGap  = 250 * time.Millisecond
	watchRetryFirst = time.Second
	watchRetryMax   = 30 * time.Second
	// watchHealthy is how long a watch must have run for its failure to
	// reset the retry delay.
	watchHealthy = time.Minute
)

// wakeUp asks Run for a step now (coalesced: one pending wake at most).
func (ix *Index) wakeUp() {
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// onChainEvent handles one hint from the daemon plugin.
func (ix *Index) onChainEvent(ev sdk.ChainEvent) {
	ix.chainEvents.Add(1)
	if ev.Kind == sdk.EventBlock {
		ix.wakeUp()
		return
	}
	// Leading edge: the first transaction after a quiet gap wakes at once;
	// later ones within the gap share one trailing wake at its end.
	now := time.Now().UnixNano()
	last := ix.mempoolWokeAt.Load()
	if now-last >= int64(mempoolWakeGap) && ix.mempoolWokeAt.CompareAndSwap(last, now) {
		ix.wakeUp()
		return
	}
	if ix.mempoolWakePending.CompareAndSwap(false, true) {
		time.AfterFunc(time.Duration(last+int64(mempoolWakeGap)-now), func() {
			ix.mempoolWokeAt.Store(time.Now().UnixNano())
			ix.mempoolWakePending.Store(false)
			ix.wakeUp()
		})
	}
}

// watch keeps a chain-event watch open while ctx lives, re-opening it after
// a failure (a plugin restart, a lost daemon websocket) with a growing
// delay. It returns at once when the plugin has no event source.
func (ix *Index) watch(ctx context.Context) {
	w, ok := ix.chain.(sdk.ChainWatcher)
	if !ok {
		return
	}
	delay := watchRetryFirst
	for {
		start := time.Now()
		err := w.WatchChain(ctx, true, ix.onChainEvent)
		switch {
		case ctx.Err() != nil:
			return
		case sdk.KindOf(err) == sdk.KindUnimplemented:
			ix.log.Info("index: the daemon plugin sends no chain events; following the daemon by polling",
				"poll_interval", ix.opts.PollInterval)
			return
		}
		if time.Since(start) >= watchHealthy {
			delay = watchRetryFirst
		}
		ix.log.Debug("index: chain event watch ended; polling meanwhile", "err", err, "retry_in", delay)
		ix.wakeUp() // whatever happened during the gap, look now
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, watchRetryMax)
	}
}
