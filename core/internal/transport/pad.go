package transport

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Reply padding against traffic analysis, as ElectrumX 1.18+ does for its
// TCP and TLS sessions (server/transport.py PaddedRSTransport): every
// packet written is a power of two bytes long, at least MinSize, the JSON
// being padded with spaces before the closing '}' or ']' of its last
// message. With a Hold time, small replies are kept back up to Hold after
// the last write so that several of them share one packet; a packet that
// would waste more than half its size on padding is cut at an earlier
// message boundary and the rest kept for the next packet.

// PadOptions configure Pad.
type PadOptions struct {
	// MinSize is the smallest packet in bytes (default 1024, upstream
	// MIN_PACKET_SIZE).
	MinSize int
	// Hold is how long small replies may wait to be coalesced after the
	// last write (upstream WAIT_FOR_BUFFER_GROWTH_SECONDS = 1 s); 0 writes
	// every reply at once, padded on its own.
	Hold time.Duration
	// WarmUp is how many bytes are written at once, whatever Hold says,
	// at the start of a connection (default 1024, upstream
	// WARMUP_BUDGET_SIZE), so the version handshake is not delayed.
	WarmUp int
}

// Pad wraps a stream Conn (tcp, ssl) so that its writes are padded. With a
// Hold, WriteMessage only buffers: a write error is reported by a later
// WriteMessage (and the connection closed); Close writes what is left.
func Pad(c Conn, o PadOptions) Conn {
	if o.MinSize <= 0 {
		o.MinSize = 1024
	}
	if o.WarmUp <= 0 {
		o.WarmUp = 1024
	}
	return &padConn{Conn: c, o: o, closeDone: make(chan struct{})}
}

type padConn struct {
	Conn
	o PadOptions

	mu       sync.Mutex
	buf      []byte // framed messages waiting: each ends in '\n'
	sent     int    // unpadded bytes of the messages taken so far
	lastSend time.Time
	timer    *time.Timer
	err      error // first write error (Hold mode)
	closed   bool

	closeStarted atomic.Bool
	closeDone    chan struct{} // closed once the wrapped Conn is closed
}

// padSizes returns the packet size for a payload of n bytes: the next
// power of two above n (a power of two itself goes up one, as upstream's
// 2 ** n.bit_length()), at least min.
func padSize(n, min int) int {
	return max(min, 1<<bits.Len(uint(n)))
}

// padInto returns payload (framed messages, the last ending in '\n')
// padded to size with spaces before the last message's closing byte; the
// final '\n' is dropped (the stream Conn adds it).
func padInto(payload []byte, size int) []byte {
	return padBody(payload[:len(payload)-1], size)
}

// padBody pads body (payload without its final '\n') to a packet of size
// bytes, the '\n' the stream Conn adds included: one copy of body.
func padBody(body []byte, size int) []byte {
	npad := size - len(body) - 1
	cut := len(body)
	if cut > 0 && (body[cut-1] == '}' || body[cut-1] == ']') {
		cut--
	}
	out := make([]byte, size-1)
	n := copy(out, body[:cut])
	pad := out[n : n+npad]
	for i := range pad {
		pad[i] = ' '
	}
	copy(out[n+npad:], body[cut:])
	return out
}

func (p *padConn) WriteMessage(ctx context.Context, msg []byte) error {
	if p.o.Hold <= 0 {
		return p.Conn.WriteMessage(ctx, padBody(msg, padSize(len(msg)+1, p.o.MinSize)))
	}
	if p.closeStarted.Load() {
		return ErrPadClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.closed {
		return ErrPadClosed
	}
	warm := p.sent < p.o.WarmUp
	p.buf = append(append(p.buf, msg...), '\n')
	p.sent += len(msg)
	p.consumeLocked(warm, false)
	return p.err
}

// ErrPadClosed is returned by WriteMessage after Close.
var ErrPadClosed = errorString("transport: write on a closed padded connection")

type errorString string

func (e errorString) Error() string { return string(e) }

// consumeLocked writes at most one packet when the buffer is large enough,
// warm (warm-up budget left), force (Close) or the hold time since the last
// write has passed; whatever stays buffered gets a timer.
func (p *padConn) consumeLocked(warm, force bool) {
	if len(p.buf) == 0 || p.err != nil {
		return
	}
	now := time.Now()
	due := !now.Before(p.lastSend.Add(p.o.Hold))
	if !(force || warm || due || len(p.buf) >= p.o.MinSize) {
		p.armLocked(now)
		return
	}
	n := len(p.buf)
	lsize := padSize(n, p.o.MinSize)
	take, size := n, lsize
	if !force {
		// A half-size packet that ends at a message boundary wastes less?
		ssize := max(p.o.MinSize, lsize/2)
		if i := lastNewline(p.buf[:min(ssize, n)]); i >= 0 && ssize-(i+1) < lsize-n {
			take, size = i+1, ssize
		}
	}
	out := padInto(p.buf[:take], size)
	p.lastSend = now
	if err := p.Conn.WriteMessage(context.Background(), out); err != nil {
		p.err = err
		p.buf = nil
		p.Conn.Close()
		return
	}
	p.buf = append(p.buf[:0], p.buf[take:]...)
	if len(p.buf) > 0 {
		p.armLocked(now)
	}
}

// armLocked schedules a consumption at lastSend+Hold unless one is set.
func (p *padConn) armLocked(now time.Time) {
	if p.timer != nil || p.closed {
		return
	}
	p.timer = time.AfterFunc(p.lastSend.Add(p.o.Hold).Sub(now), func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.timer = nil
		p.consumeLocked(false, false)
	})
}

func lastNewline(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// PeerClosed forwards the wrapped connection's PeerClosed (false when it
// has none).
func (p *padConn) PeerClosed() bool {
	if pc, ok := p.Conn.(interface{ PeerClosed() bool }); ok {
		return pc.PeerClosed()
	}
	return false
}

// Close never blocks on the peer: without a Hold nothing is buffered and
// the connection is closed at once; with one, what is buffered is written
// (one packet, padded, within the write timeout) and the connection closed
// on a goroutine of its own, so that closing a client that does not read
// (or one whose held packet is being written) returns at once.
func (p *padConn) Close() error {
	if p.closeStarted.Swap(true) {
		return nil
	}
	if p.o.Hold <= 0 {
		defer close(p.closeDone)
		return p.Conn.Close()
	}
	go func() {
		p.mu.Lock()
		p.consumeLocked(false, true)
		p.closed = true
		if p.timer != nil {
			p.timer.Stop()
			p.timer = nil
		}
		p.mu.Unlock()
		p.Conn.Close()
		close(p.closeDone)
	}()
	return nil
}
