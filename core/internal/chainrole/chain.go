// Package chainrole is the core's chain-backend role adapter: the
// sdk.ChainBackend that the index, the Electrum layer and the admin RPC
// hold for the plugin that declared sdk.CapChainBackend. It calls the
// plugin's current process through pluginhost.Call, so it follows
// restarts, and it owns what only a chain backend needs at every start
// (Ready, the plugin's pluginhost.Setup.Ready hook): the daemon's genesis
// block must be the configured network's (refused for good after a
// restart), and the daemon URLs last set at run time (admin daemon_url) are
// handed to a restarted process before any call reaches it.
package chainrole

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/sdk"
)

// Options describe the chain the backend must serve.
type Options struct {
	Genesis sdk.Hash // the configured network's genesis block
	Network string   // its name, for errors (config key net)
}

// Backend is the chain backend of one plugin; the zero value is not usable:
// use New.
type Backend struct {
	p       *pluginhost.Plugin
	opts    Options
	started atomic.Bool // Ready succeeded once

	mu   sync.Mutex
	urls []string // the last successful SetDaemonURLs
}

var (
	_ sdk.ChainBackend       = (*Backend)(nil)
	_ sdk.PackageBroadcaster = (*Backend)(nil)
	_ sdk.MempoolInfoer      = (*Backend)(nil)
	_ sdk.ChainWatcher       = (*Backend)(nil)
)

// New returns the chain backend of p. Configure p with Ready as its
// pluginhost.Setup.Ready hook.
func New(p *pluginhost.Plugin, opts Options) *Backend { return &Backend{p: p, opts: opts} }

// Plugin returns the plugin behind the backend.
func (b *Backend) Plugin() *pluginhost.Plugin { return b.p }

// Ready is the plugin's pluginhost.Setup.Ready hook. At the first start it
// checks that the daemon is on the configured network; at a restart it
// refuses (pluginhost.Refuse) a plugin that now reports another genesis
// block and replays the daemon URLs set since the launch.
func (b *Backend) Ready(ctx context.Context, c pluginhost.Conn, d sdk.Description) error {
	name := b.p.Name()
	if d.GenesisHash != b.opts.Genesis {
		if !b.started.Load() {
			return fmt.Errorf("plugin %q: the daemon's genesis block is %s but net %q (config key net) expects %s: wrong daemon_url or net",
				name, d.GenesisHash, b.opts.Network, b.opts.Genesis)
		}
		return pluginhost.Refuse(fmt.Errorf("plugin %q: restarted plugin reports genesis block %s, it reported %s before; refusing it",
			name, d.GenesisHash, b.opts.Genesis))
	}
	if urls := b.daemonURLs(); urls != nil {
		if err := c.Chain.SetDaemonURLs(ctx, urls); err != nil {
			return fmt.Errorf("plugin %q: set daemon URLs: %w", name, err)
		}
	}
	b.started.Store(true)
	return nil
}

func (b *Backend) daemonURLs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.urls
}

// call runs f on the current process's chain adapter.
func call[T any](ctx context.Context, b *Backend, f func(sdk.ChainBackend) (T, error)) (T, error) {
	return pluginhost.Call(ctx, b.p, func(c pluginhost.Conn) (T, error) { return f(c.Chain) })
}

func callErr(ctx context.Context, b *Backend, f func(sdk.ChainBackend) error) error {
	return pluginhost.CallErr(ctx, b.p, func(c pluginhost.Conn) error { return f(c.Chain) })
}

func (b *Backend) Describe(ctx context.Context) (sdk.Description, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (sdk.Description, error) { return c.Describe(ctx) })
}

func (b *Backend) Configure(ctx context.Context, config []byte) error {
	return callErr(ctx, b, func(c sdk.ChainBackend) error { return c.Configure(ctx, config) })
}

func (b *Backend) Tip(ctx context.Context) (sdk.Tip, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (sdk.Tip, error) { return c.Tip(ctx) })
}

func (b *Backend) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	return call(ctx, b, func(c sdk.ChainBackend) ([]sdk.Hash, error) { return c.BlockHashes(ctx, start, count) })
}

func (b *Backend) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	return callErr(ctx, b, func(c sdk.ChainBackend) error { return c.Blocks(ctx, start, count, yield) })
}

func (b *Backend) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	return call(ctx, b, func(c sdk.ChainBackend) ([]byte, error) { return c.Transaction(ctx, txid, verbose) })
}

func (b *Backend) Broadcast(ctx context.Context, rawTxHex string) (string, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (string, error) { return c.Broadcast(ctx, rawTxHex) })
}

func (b *Backend) MempoolTxids(ctx context.Context) ([]sdk.Hash, error) {
	return call(ctx, b, func(c sdk.ChainBackend) ([]sdk.Hash, error) { return c.MempoolTxids(ctx) })
}

func (b *Backend) MempoolTransactions(ctx context.Context, txids []sdk.Hash) ([][]byte, error) {
	return call(ctx, b, func(c sdk.ChainBackend) ([][]byte, error) { return c.MempoolTransactions(ctx, txids) })
}

func (b *Backend) RelayFee(ctx context.Context) (float64, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (float64, error) { return c.RelayFee(ctx) })
}

func (b *Backend) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (float64, error) { return c.EstimateFee(ctx, blocks, mode) })
}

func (b *Backend) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (sdk.DaemonInfo, error) { return c.DaemonInfo(ctx) })
}

// SetDaemonURLs also remembers urls, to hand them to a restarted plugin.
func (b *Backend) SetDaemonURLs(ctx context.Context, urls []string) error {
	err := callErr(ctx, b, func(c sdk.ChainBackend) error { return c.SetDaemonURLs(ctx, urls) })
	if err == nil {
		b.mu.Lock()
		b.urls = slices.Clone(urls)
		b.mu.Unlock()
	}
	return err
}

func (b *Backend) Shutdown(ctx context.Context) error {
	return callErr(ctx, b, func(c sdk.ChainBackend) error { return c.Shutdown(ctx) })
}

func unimplemented(method string) error {
	return sdk.Errorf(sdk.KindUnimplemented, "plugin adapter does not implement %s", method)
}

// The optional ChainBackend interfaces (sdk/chain_ext.go), forwarded like
// the required methods. The SDK client adapter implements them all and
// answers KindUnimplemented for a plugin that does not.

func (b *Backend) BroadcastPackage(ctx context.Context, rawTxsHex []string) (sdk.PackageResult, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (sdk.PackageResult, error) {
		pb, ok := c.(sdk.PackageBroadcaster)
		if !ok {
			return sdk.PackageResult{}, unimplemented("BroadcastPackage")
		}
		return pb.BroadcastPackage(ctx, rawTxsHex)
	})
}

func (b *Backend) MempoolInfo(ctx context.Context) (sdk.MempoolInfo, error) {
	return call(ctx, b, func(c sdk.ChainBackend) (sdk.MempoolInfo, error) {
		mi, ok := c.(sdk.MempoolInfoer)
		if !ok {
			return sdk.MempoolInfo{}, unimplemented("MempoolInfo")
		}
		return mi.MempoolInfo(ctx)
	})
}

// WatchChain watches through the current process; a restart ends the watch
// with an error, and the caller's next watch reaches the new process.
func (b *Backend) WatchChain(ctx context.Context, mempool bool, notify func(sdk.ChainEvent)) error {
	return callErr(ctx, b, func(c sdk.ChainBackend) error {
		w, ok := c.(sdk.ChainWatcher)
		if !ok {
			return unimplemented("WatchChain")
		}
		return w.WatchChain(ctx, mempool, notify)
	})
}
