package chainbackend

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/amber-electrum/amber/plugins/internal/daemonrpc"
	"github.com/amber-electrum/amber/sdk"
)

var _ sdk.ChainWatcher = (*Backend)(nil)

// longPollWait is how long one waitfornewblock call waits at most.
const longPollWait = 10 * time.Second

// WatchChain implements sdk.ChainWatcher with what the daemon offers:
//   - btcd: its JSON-RPC websocket, notifyblocks (blockconnected and
//     blockdisconnected) and, with mempool, notifynewtransactions
//     (txaccepted);
//   - bitcoind (no websocket): waitfornewblock long polls, block events
//     only (ZMQ would need a ZeroMQ library; the host's polling covers the
//     mempool);
//   - neither: KindUnimplemented, and the host polls.
func (b *Backend) WatchChain(ctx context.Context, mempool bool, notify func(sdk.ChainEvent)) error {
	c, cfg, err := b.conn()
	if err != nil {
		return err
	}
	subs := []daemonrpc.Request{{Method: "notifyblocks"}}
	if mempool {
		subs = append(subs, daemonrpc.Request{Method: "notifynewtransactions", Params: []any{false}})
	}
	err = c.Notifications(ctx, subs, func(n daemonrpc.Notification) {
		if ev, ok := chainEvent(n); ok {
			notify(ev)
		}
	})
	if !errors.Is(err, daemonrpc.ErrNoWebsocket) {
		return err
	}
	b.log.Debug("no daemon websocket; watching blocks with waitfornewblock", "err", err)
	return longPoll(ctx, c, min(longPollWait, cfg.RequestTimeout/2), notify)
}

// chainEvent reads a btcd notification: blockconnected/blockdisconnected
// [hash, height, time] and txaccepted [txid, amount]. Other methods and
// malformed parameters give false (the host's poll still sees the change).
func chainEvent(n daemonrpc.Notification) (sdk.ChainEvent, bool) {
	var kind sdk.ChainEventKind
	switch n.Method {
	case "blockconnected", "blockdisconnected":
		kind = sdk.EventBlock
	case "txaccepted":
		kind = sdk.EventMempool
	default:
		return sdk.ChainEvent{}, false
	}
	ev := sdk.ChainEvent{Kind: kind}
	var params []json.RawMessage
	if json.Unmarshal(n.Params, &params) != nil || len(params) == 0 {
		return ev, true
	}
	var hash string
	if json.Unmarshal(params[0], &hash) == nil {
		if h, err := sdk.ParseHash(hash); err == nil {
			ev.Hash = h
		}
	}
	if kind == sdk.EventBlock && len(params) > 1 {
		var height int64
		if json.Unmarshal(params[1], &height) == nil && height >= 0 {
			ev.Height = height
		}
	}
	return ev, true
}

// longPoll calls waitfornewblock in a loop and reports each new tip.
func longPoll(ctx context.Context, c *daemonrpc.Client, wait time.Duration, notify func(sdk.ChainEvent)) error {
	res, err := c.Call(ctx, "getbestblockhash")
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	last, err := parseHashJSON(res)
	if err != nil {
		return err
	}
	for {
		res, err := c.Call(ctx, "waitfornewblock", wait.Milliseconds())
		if ctx.Err() != nil {
			return nil
		}
		if daemonrpc.IsMethodMissing(err) {
			return sdk.Errorf(sdk.KindUnimplemented, "daemon has neither a websocket nor waitfornewblock")
		}
		if err != nil {
			return err
		}
		var tip struct {
			Hash   string `json:"hash"`
			Height int64  `json:"height"`
		}
		if err := json.Unmarshal(res, &tip); err != nil {
			return sdk.Errorf(sdk.KindInternal, "waitfornewblock: unexpected result %.100s: %w", res, err)
		}
		h, err := sdk.ParseHash(tip.Hash)
		if err != nil {
			return sdk.Errorf(sdk.KindInternal, "waitfornewblock: bad hash %q: %w", tip.Hash, err)
		}
		if h != last {
			notify(sdk.ChainEvent{Kind: sdk.EventBlock, Height: tip.Height, Hash: h})
		}
		last = h
	}
}
