package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// ErrRemote is returned by Listen and Serve for a non-loopback address when
// Options.AllowRemote is off.
var ErrRemote = errors.New("metrics: refusing a non-loopback listen address (set AllowRemote)")

const (
	readHeaderTimeout = 10 * time.Second
	shutdownTimeout   = 5 * time.Second
)

// Loopback reports whether the host of a host:port address is a loopback IP
// or "localhost". An empty host (all interfaces) is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkAddr is the listen-address policy of Listen.
func checkAddr(addr string, allowRemote bool) error {
	if !allowRemote && !Loopback(addr) {
		return fmt.Errorf("%w: %q", ErrRemote, addr)
	}
	return nil
}

// Listen opens a TCP listener on addr, refusing non-loopback addresses
// unless AllowRemote.
func (m *Metrics) Listen(ctx context.Context, addr string) (net.Listener, error) {
	if m == nil {
		return nil, errors.New("metrics: disabled")
	}
	if err := checkAddr(addr, m.allowRemote); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen: %w", err)
	}
	return ln, nil
}

// Serve exposes /metrics on addr until ctx is done, then shuts the server
// down. It returns nil after a clean shutdown.
func (m *Metrics) Serve(ctx context.Context, addr string) error {
	// The listen itself is immediate; a ctx already done makes
	// ServeListener shut down at once.
	ln, err := m.Listen(context.WithoutCancel(ctx), addr)
	if err != nil {
		return err
	}
	return m.ServeListener(ctx, ln)
}

// ServeListener is Serve on an open listener, which it closes.
func (m *Metrics) ServeListener(ctx context.Context, ln net.Listener) error {
	if m == nil {
		_ = ln.Close()
		return errors.New("metrics: disabled")
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	if m.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	m.log.Info("metrics listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("metrics: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: serve: %w", err)
	}
	return nil
}
