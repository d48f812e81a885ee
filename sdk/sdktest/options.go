package sdktest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
)

// DefaultRequestTimeout is amberd's default request_timeout: a client
// request not answered within it gets -102 "server busy - request timed
// out" and the call's context is cancelled.
const DefaultRequestTimeout = 30 * time.Second

// cancelGrace is how long a handler may take to return once its context
// is cancelled before the harness says it ignores cancellation.
const cancelGrace = time.Second

// Option configures ConformMethods and CallMethod.
type Option func(*options)

type options struct {
	requestTimeout time.Duration
	plugin         string
}

// WithRequestTimeout holds every call to d instead of DefaultRequestTimeout:
// pass the request_timeout of the deployment, or a short one in a test of a
// slow path.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) { o.requestTimeout = d }
}

// WithPluginName names the plugin in refusals as amberd does (its key under
// plugins: in the config). The default is the name Describe returns, or
// the provider's Go type when it has no Describe.
func WithPluginName(name string) Option {
	return func(o *options) { o.plugin = name }
}

func newOptions(opts []Option) options {
	o := options{requestTimeout: DefaultRequestTimeout}
	for _, f := range opts {
		f(&o)
	}
	if o.requestTimeout <= 0 {
		o.requestTimeout = DefaultRequestTimeout
	}
	return o
}

// CallMethod calls method on provider as amberd does, under a context
// cancelled after the request timeout (DefaultRequestTimeout unless
// WithRequestTimeout), and fails the test (t.Errorf) if the handler
// outlives it, saying whether it also ignored the cancellation. It returns
// the handler's answer; after a timeout, the error is the cancellation.
// session is passed to the handler as is.
func CallMethod(t testing.TB, provider sdk.MethodProvider, method string, params json.RawMessage, session sdk.SessionInfo, opts ...Option) (json.RawMessage, error) {
	t.Helper()
	o := newOptions(opts)
	res, err, overrun := timedCall(t.Context(), o.requestTimeout, provider, method, params, session)
	if overrun != nil {
		t.Error(overrun)
	}
	return res, err
}

// timedCall runs one call (panics recovered) under a context cancelled
// after timeout. overrun is non-nil when the handler was still running at
// the timeout; the call's goroutine is then left to finish on its own, as
// amberd leaves it.
func timedCall(parent context.Context, timeout time.Duration, p sdk.MethodProvider, method string, params json.RawMessage, s sdk.SessionInfo) (res json.RawMessage, err, overrun error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	type answer struct {
		res json.RawMessage
		err error
	}
	done := make(chan answer, 1)
	go func() {
		r, e := safeCall(ctx, p, method, params, s)
		done <- answer{r, e}
	}()
	select {
	case a := <-done:
		return a.res, a.err, nil
	case <-ctx.Done():
	}
	if parent.Err() != nil {
		return nil, parent.Err(), fmt.Errorf("%s: the test ended before the call returned", method)
	}
	grace := time.NewTimer(cancelGrace)
	defer grace.Stop()
	select {
	case a := <-done:
		return a.res, a.err, fmt.Errorf("%s outlived the request timeout (%v): amberd would have answered the client -102 %q and cancelled the call",
			method, timeout, "server busy - request timed out")
	case <-grace.C:
		return nil, ctx.Err(), fmt.Errorf("%s outlived the request timeout (%v) and was still running %v after its context was cancelled: Call must return promptly when ctx is done",
			method, timeout, cancelGrace)
	}
}
