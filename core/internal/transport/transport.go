package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"
)

// Conn is one client connection delivering whole messages.
type Conn interface {
	// ReadMessage returns the next message: a line without its '\n' (and
	// without a trailing '\r') on tcp/ssl/rpc, or one websocket text or
	// binary message. It returns io.EOF at a clean end. The returned slice
	// is freshly allocated and owned by the caller. Cancelling ctx aborts
	// the read (on ws/wss this closes the connection).
	ReadMessage(ctx context.Context) ([]byte, error)
	// WriteMessage writes msg (plus '\n' on tcp/ssl/rpc). It fails if the
	// peer does not take the data within Options.WriteTimeout (or before
	// ctx ends); the connection must then be closed. Safe for one writer
	// goroutine at a time (concurrent calls are serialised).
	WriteMessage(ctx context.Context, msg []byte) error
	Close() error
	RemoteAddr() net.Addr
	// Kind is "TCP", "SSL", "WS", "WSS" or "RPC".
	Kind() string
	Stats() Stats
	// SetDiscardHook makes the connection report the bytes of input it
	// throws away (oversized lines), so that they can be charged. Part of
	// the interface so that every wrapper (padding, the admin guard)
	// forwards it.
	SetDiscardHook(f func(n int))
}

// Stats are a connection's traffic counters.
type Stats struct {
	BytesIn     uint64 // bytes received (stream: all bytes incl. discarded ones and newlines; ws: message payloads)
	BytesOut    uint64 // bytes sent (incl. newlines on streams)
	MessagesIn  uint64 // messages delivered by ReadMessage
	MessagesOut uint64 // messages written
	Oversized   uint64 // inbound messages discarded (stream) or refused (ws) for exceeding MaxRecv
	Discarded   uint64 // bytes of discarded oversized lines (stream)
}

type counters struct {
	bytesIn, bytesOut, msgsIn, msgsOut, oversized, discarded atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		BytesIn:     c.bytesIn.Load(),
		BytesOut:    c.bytesOut.Load(),
		MessagesIn:  c.msgsIn.Load(),
		MessagesOut: c.msgsOut.Load(),
		Oversized:   c.oversized.Load(),
		Discarded:   c.discarded.Load(),
	}
}

// Service is one listening endpoint. Proto is one of tcp, ssl, ws, wss, rpc.
type Service struct {
	Proto string
	Host  string
	Port  int
}

// Addr returns "host:port".
func (s Service) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// String returns "proto://host:port".
func (s Service) String() string { return s.Proto + "://" + s.Addr() }

// Defaults.
const (
	DefaultMaxRecv      = 1_000_000
	DefaultWriteTimeout = 20 * time.Second // aiorpcX max_send_delay
)

// Options configure a listener. The zero value works for tcp, ws and rpc.
type Options struct {
	TLSConfig *tls.Config // required for ssl and wss
	// MaxRecv is the largest inbound message in bytes (default
	// DefaultMaxRecv). Longer lines are discarded; a larger websocket
	// message closes that websocket with status 1009.
	MaxRecv int
	// WriteTimeout bounds each WriteMessage (default DefaultWriteTimeout).
	WriteTimeout time.Duration
	// WSAllowedOrigins, if not empty, are the only Origin header values a
	// ws/wss upgrade may carry ("https://wallet.example"); requests without
	// Origin are always accepted (ws_allowed_origins).
	WSAllowedOrigins []string
	// WSHandshakeTimeout bounds a ws/wss connection's TLS handshake and
	// HTTP upgrade request (handshake_timeout; default 10 s). Stream
	// connections get theirs from the session (time to first request).
	WSHandshakeTimeout time.Duration
	Logger             *slog.Logger // nil: slog.Default()
}

func (o Options) withDefaults() Options {
	if o.MaxRecv <= 0 {
		o.MaxRecv = DefaultMaxRecv
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.WSHandshakeTimeout <= 0 {
		o.WSHandshakeTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Listener accepts connections for one Service.
type Listener interface {
	// Accept waits for the next connection. After Close it returns an error
	// wrapping net.ErrClosed; transient accept errors are retried inside.
	Accept() (Conn, error)
	// Close stops accepting; connections already accepted continue.
	Close() error
	Addr() net.Addr
	// Service is the configured service with Port set to the bound port.
	Service() Service
}

// Listen opens the listening socket for svc.
func Listen(ctx context.Context, svc Service, opts Options) (Listener, error) {
	opts = opts.withDefaults()
	var kind string
	switch svc.Proto {
	case "tcp", "ssl", "rpc", "ws", "wss":
		kind = kindOf(svc.Proto)
	default:
		return nil, fmt.Errorf("transport: unknown protocol %q", svc.Proto)
	}
	if (svc.Proto == "ssl" || svc.Proto == "wss") && opts.TLSConfig == nil {
		return nil, fmt.Errorf("transport: %s needs a TLS certificate", svc)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", svc.Addr())
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", svc, err)
	}
	if addr, ok := ln.Addr().(*net.TCPAddr); ok {
		svc.Port = addr.Port
	}
	log := opts.Logger.With("service", svc.String())
	if svc.Proto == "ws" || svc.Proto == "wss" {
		return newWSListener(ln, svc, kind, opts, log), nil
	}
	return &streamListener{ln: ln, svc: svc, kind: kind, opts: opts, log: log}, nil
}

func kindOf(proto string) string {
	switch proto {
	case "tcp":
		return "TCP"
	case "ssl":
		return "SSL"
	case "ws":
		return "WS"
	case "wss":
		return "WSS"
	}
	return "RPC"
}

// LoadTLS loads a PEM certificate chain and key for the ssl and wss
// services.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("transport: load TLS key pair: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// countingReader counts bytes read from the socket.
type countingReader struct {
	r io.Reader
	n *atomic.Uint64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(uint64(n))
	return n, err
}
