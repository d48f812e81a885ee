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

// Call runs f on the current process's adapters, so that a caller holding p
// follows restarts: at once the "not running" error (a KindUnavailable
// *sdk.Error `plugin "<name>" is not running`) while no process runs, and
// that error too for a failure caused by the process dying. Role adapters
// (the chain backend, method providers) are built on it.
func Call[T any](ctx context.Context, p *Plugin, f func(Conn) (T, error)) (T, error) {
	var zero T
	inst := p.cur.Load()
	if inst == nil || inst.exited() {
		return zero, p.notRunning()
	}
	v, err := f(inst.conn())
	if err != nil {
		return zero, p.explain(ctx, inst, err)
	}
	return v, nil
}

// CallErr is Call for a function with no result.
func CallErr(ctx context.Context, p *Plugin, f func(Conn) error) error {
	_, err := Call(ctx, p, func(c Conn) (struct{}, error) { return struct{}{}, f(c) })
	return err
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
