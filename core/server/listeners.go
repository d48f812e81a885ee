package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/amber-electrum/amber/core/internal/session"
	"github.com/amber-electrum/amber/core/internal/transport"
)

// listener serves one configured service: it accepts connections and hands
// each to the session manager with the service's handler factory and
// profile.
type listener struct {
	svc     transport.Service
	opts    transport.Options
	mgr     *session.Manager
	opener  session.Factory // opens each session's handler
	profile session.Profile
	log     *slog.Logger
	pad     *transport.PadOptions // reply padding (tcp/ssl with reply_padding)
	// wrap, if set, wraps every accepted connection (the admin guard).
	wrap func(transport.Conn) transport.Conn

	mu  sync.Mutex
	ln  transport.Listener
	wg  sync.WaitGroup
	ctx context.Context
}

// start opens the socket and begins accepting. Calling it on an open
// listener does nothing.
func (l *listener) start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return nil
	}
	ln, err := transport.Listen(ctx, l.svc, l.opts)
	if err != nil {
		return fmt.Errorf("listen on %s://%s: %w", l.svc.Proto, net.JoinHostPort(l.svc.Host, fmt.Sprint(l.svc.Port)), err)
	}
	l.ln = ln
	l.ctx = ctx
	l.log.Info("listening", "service", l.svc.Proto, "addr", ln.Addr().String())
	l.wg.Add(1)
	go l.accept(ctx, ln)
	return nil
}

func (l *listener) accept(ctx context.Context, ln transport.Listener) {
	defer l.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				l.log.Warn("accept failed", "service", l.svc.Proto, "err", err)
				continue
			}
			return
		}
		if l.pad != nil {
			conn = transport.Pad(conn, *l.pad)
		}
		if l.wrap != nil {
			conn = l.wrap(conn)
		}
		go l.mgr.Serve(ctx, conn, l.opener, l.profile)
	}
}

// stop closes the socket; sessions already accepted continue.
func (l *listener) stop() {
	l.mu.Lock()
	ln := l.ln
	l.ln = nil
	l.mu.Unlock()
	if ln != nil {
		ln.Close()
		l.wg.Wait()
		l.log.Info("stopped listening", "service", l.svc.Proto)
	}
}

// addr returns the bound address, or nil when not listening.
func (l *listener) addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return nil
	}
	return l.ln.Addr()
}
