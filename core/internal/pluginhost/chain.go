package pluginhost

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// exitGrace is how long a call that failed at the transport level waits for
// go-plugin to notice that the process exited (the connection usually breaks
// a moment before the process is reaped).
const exitGrace = 300 * time.Millisecond

// hostChain is the ChainBackend Plugin.Chain returns: it calls the current
// instance's SDK adapter (so it follows restarts) and turns failures of a
// dead process into the "not running" error.
type hostChain struct{ p *Plugin }

var _ sdk.ChainBackend = (*hostChain)(nil)

// callInst runs f on the current instance: at once the "not running"
// error while no process runs, and that error too for a failure caused by
// the process dying.
func callInst[T any](ctx context.Context, p *Plugin, f func(*instance) (T, error)) (T, error) {
	var zero T
	inst := p.cur.Load()
	if inst == nil || inst.exited() {
		return zero, p.notRunning()
	}
	v, err := f(inst)
	if err != nil {
		return zero, p.explain(ctx, inst, err)
	}
	return v, nil
}

// call runs f on the current instance's chain adapter.
func call[T any](ctx context.Context, p *Plugin, f func(sdk.ChainBackend) (T, error)) (T, error) {
	return callInst(ctx, p, func(i *instance) (T, error) { return f(i.chain) })
}

// explain returns the "not running" error if err comes from the process
// being gone, err otherwise.
func (p *Plugin) explain(ctx context.Context, inst *instance, err error) error {
	if errors.Is(err, hostside.ErrPluginExited) || inst.exited() {
		return p.notRunning()
	}
	if !transportFailure(err) || ctx.Err() != nil {
		return err
	}
	t := time.NewTimer(exitGrace)
	defer t.Stop()
	select {
	case <-inst.proc.Done():
		return p.notRunning()
	case <-t.C:
	case <-ctx.Done():
	}
	return err
}

// transportFailure reports whether err is a bare gRPC Unavailable or
// Canceled status (no ErrorDetail: not the plugin's own answer).
func transportFailure(err error) bool {
	var e *sdk.Error
	if !errors.As(err, &e) || e.Err == nil {
		return false
	}
	c := status.Code(e.Err)
	return c == codes.Unavailable || c == codes.Canceled
}

func callErr(ctx context.Context, p *Plugin, f func(sdk.ChainBackend) error) error {
	_, err := call(ctx, p, func(c sdk.ChainBackend) (struct{}, error) { return struct{}{}, f(c) })
	return err
}

func (h *hostChain) Describe(ctx context.Context) (sdk.Description, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (sdk.Description, error) { return c.Describe(ctx) })
}

func (h *hostChain) Configure(ctx context.Context, config []byte) error {
	return callErr(ctx, h.p, func(c sdk.ChainBackend) error { return c.Configure(ctx, config) })
}

func (h *hostChain) Tip(ctx context.Context) (sdk.Tip, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (sdk.Tip, error) { return c.Tip(ctx) })
}

func (h *hostChain) BlockHashes(ctx context.Context, start int64, count int) ([]sdk.Hash, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) ([]sdk.Hash, error) { return c.BlockHashes(ctx, start, count) })
}

func (h *hostChain) Blocks(ctx context.Context, start int64, count int, yield func(sdk.Block) error) error {
	return callErr(ctx, h.p, func(c sdk.ChainBackend) error { return c.Blocks(ctx, start, count, yield) })
}

func (h *hostChain) Transaction(ctx context.Context, txid sdk.Hash, verbose bool) ([]byte, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) ([]byte, error) { return c.Transaction(ctx, txid, verbose) })
}

func (h *hostChain) Broadcast(ctx context.Context, rawTxHex string) (string, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (string, error) { return c.Broadcast(ctx, rawTxHex) })
}

func (h *hostChain) MempoolTxids(ctx context.Context) ([]sdk.Hash, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) ([]sdk.Hash, error) { return c.MempoolTxids(ctx) })
}

func (h *hostChain) MempoolTransactions(ctx context.Context, txids []sdk.Hash) ([][]byte, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) ([][]byte, error) { return c.MempoolTransactions(ctx, txids) })
}

func (h *hostChain) RelayFee(ctx context.Context) (float64, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (float64, error) { return c.RelayFee(ctx) })
}

func (h *hostChain) EstimateFee(ctx context.Context, blocks int, mode string) (float64, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (float64, error) { return c.EstimateFee(ctx, blocks, mode) })
}

func (h *hostChain) DaemonInfo(ctx context.Context) (sdk.DaemonInfo, error) {
	return call(ctx, h.p, func(c sdk.ChainBackend) (sdk.DaemonInfo, error) { return c.DaemonInfo(ctx) })
}

// SetDaemonURLs also remembers urls, to hand them to a restarted plugin.
func (h *hostChain) SetDaemonURLs(ctx context.Context, urls []string) error {
	err := callErr(ctx, h.p, func(c sdk.ChainBackend) error { return c.SetDaemonURLs(ctx, urls) })
	if err == nil {
		h.p.rememberURLs(urls)
	}
	return err
}

func (h *hostChain) Shutdown(ctx context.Context) error {
	return callErr(ctx, h.p, func(c sdk.ChainBackend) error { return c.Shutdown(ctx) })
}
