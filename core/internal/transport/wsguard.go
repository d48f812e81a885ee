package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sync"
	"sync/atomic"
)

// Websocket close codes the frame guard sends (RFC 6455 §7.4.1).
const (
	wsCloseProtocolError = 1002
	wsCloseTooBig        = 1009
)

// errFrameRejected ends a websocket whose client sent a frame the guard
// refuses; errFrameTooBig is the oversized case.
var (
	errFrameRejected = errors.New("websocket frame rejected")
	errFrameTooBig   = fmt.Errorf("%w: message larger than max_recv", errFrameRejected)
)

// frameParser follows the client-to-server frame stream of one websocket
// (RFC 6455 §5.2) from the headers alone, without buffering payloads: it
// refuses, as soon as the header is complete, an unmasked frame (1002), a
// 64-bit length with its top bit set (1002), and a data frame, or a
// fragmented message so far, longer than max (1009).
type frameParser struct {
	max     int64
	hdr     [14]byte // header being read
	have    int      // header bytes read
	skip    int64    // payload bytes still to pass
	msgLen  int64    // payload of the current (possibly fragmented) message
	code    int      // close code once rejected
	reason  string
	decided bool
}

// feed consumes p and returns how many bytes belong to frames that passed
// (all of p, unless a frame was refused: then the offset of its header).
func (f *frameParser) feed(p []byte) int {
	i := 0
	for i < len(p) && !f.decided {
		if f.skip > 0 {
			n := int64(len(p) - i)
			if n > f.skip {
				n = f.skip
			}
			f.skip -= n
			i += int(n)
			continue
		}
		start := i - f.have // header start (may be in an earlier chunk)
		f.hdr[f.have] = p[i]
		f.have++
		i++
		need := 2
		if f.have >= 2 {
			switch f.hdr[1] & 0x7f {
			case 126:
				need += 2
			case 127:
				need += 8
			}
			if f.hdr[1]&0x80 != 0 {
				need += 4
			}
		}
		if f.have < need {
			continue
		}
		f.have = 0
		if !f.check() {
			return max(start, 0)
		}
	}
	if f.decided {
		return 0
	}
	return len(p)
}

// check judges a complete header in f.hdr and sets skip; false refuses it.
func (f *frameParser) check() bool {
	opcode := f.hdr[0] & 0x0f
	fin := f.hdr[0]&0x80 != 0
	masked := f.hdr[1]&0x80 != 0
	var n int64
	switch l := f.hdr[1] & 0x7f; l {
	case 126:
		n = int64(binary.BigEndian.Uint16(f.hdr[2:4]))
	case 127:
		u := binary.BigEndian.Uint64(f.hdr[2:10])
		if u>>63 != 0 {
			return f.refuse(wsCloseProtocolError, "invalid payload length")
		}
		n = int64(u)
	default:
		n = int64(l)
	}
	if !masked {
		return f.refuse(wsCloseProtocolError, "unmasked client frame")
	}
	if opcode < 8 { // data or continuation frame
		if opcode != 0 {
			f.msgLen = 0
		}
		if n > f.max || f.msgLen+n > f.max {
			return f.refuse(wsCloseTooBig, "message too big")
		}
		f.msgLen += n
		if fin {
			f.msgLen = 0
		}
	}
	f.skip = n
	return true
}

func (f *frameParser) refuse(code int, reason string) bool {
	f.decided, f.code, f.reason = true, code, reason
	return false
}

// closeFrame is an unmasked server close frame with code and reason.
func closeFrame(code int, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	b := []byte{0x88, byte(2 + len(reason)), 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(code))
	return append(b, reason...)
}

// wsGuardConn sits under the websocket library on an accepted socket:
// the HTTP request passes untouched (keep-alive is off, so there is one
// request per connection); when it asked for a websocket upgrade, every
// client frame header after it goes through a frameParser. A refused frame
// is not handed to the library: the guard writes the close frame itself,
// closes the socket and fails the read.
type wsGuardConn struct {
	net.Conn
	p    frameParser
	mode int    // guardHeader, guardFrames or guardOff
	hdr  []byte // the HTTP request header so far
	// pending: a frame was refused before the 101 answer went out (it
	// came in the same packet as the upgrade request); the close frame
	// follows the answer.
	pending bool
	wrote   atomic.Bool // the HTTP answer (or anything) was written

	wmu    sync.Mutex
	failed error
}

const (
	guardHeader = iota // reading the HTTP request header
	guardFrames        // a websocket upgrade: frames are checked
	guardOff           // not a websocket request (or a huge header): passed through
)

// maxGuardHeader bounds the copy of the request header the guard keeps;
// the HTTP server refuses larger headers itself (MaxHeaderBytes).
const maxGuardHeader = wsMaxHeaderBytes + 4096

var (
	headerEnd      = []byte("\r\n\r\n")
	upgradeRequest = regexp.MustCompile(`(?im)^upgrade:[ \t]*websocket`)
)

func newWSGuardConn(c net.Conn, maxRecv int) *wsGuardConn {
	return &wsGuardConn{Conn: c, p: frameParser{max: int64(maxRecv)}}
}

func (c *wsGuardConn) Read(b []byte) (int, error) {
	if c.failed != nil {
		return 0, c.failed
	}
	for c.pending {
		if c.wrote.Load() {
			c.reject()
			return 0, c.failed
		}
		// The HTTP server's background read before the hijack: wait on the
		// socket (its deadlines apply); anything more is after the refusal.
		if _, err := c.Conn.Read(b); err != nil {
			return 0, err
		}
	}
	n, err := c.Conn.Read(b)
	if n == 0 || c.mode == guardOff {
		return n, err
	}
	off := 0
	if c.mode == guardHeader {
		before := len(c.hdr)
		c.hdr = append(c.hdr, b[:n]...)
		i := bytes.Index(c.hdr, headerEnd)
		switch {
		case i < 0 && len(c.hdr) > maxGuardHeader:
			c.mode, c.hdr = guardOff, nil
			return n, err
		case i < 0:
			return n, err
		}
		c.mode = guardOff
		if upgradeRequest.Match(c.hdr[:i]) {
			c.mode = guardFrames
		}
		off = i + len(headerEnd) - before
		c.hdr = nil
		if c.mode == guardOff {
			return n, err
		}
	}
	ok := off + c.p.feed(b[off:n])
	if !c.p.decided {
		return n, err
	}
	if !c.wrote.Load() {
		c.pending = true
		return ok, nil
	}
	c.reject()
	if ok > 0 {
		return ok, nil // the frames before the refused one; the next read fails
	}
	return 0, c.failed
}

// reject sends the close frame and closes the socket.
func (c *wsGuardConn) reject() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.failed != nil {
		return
	}
	c.failed = errFrameRejected
	if c.p.code == wsCloseTooBig {
		c.failed = errFrameTooBig
	}
	c.failed = fmt.Errorf("%w (%d %s)", c.failed, c.p.code, c.p.reason)
	_, _ = c.Conn.Write(closeFrame(c.p.code, c.p.reason))
	_ = c.Conn.Close()
}

// Write serialises with reject so a close frame is not interleaved with a
// library write.
func (c *wsGuardConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.failed != nil {
		return 0, net.ErrClosed
	}
	c.wrote.Store(true)
	return c.Conn.Write(b)
}

// wsGuardListener wraps every accepted socket in a wsGuardConn.
type wsGuardListener struct {
	net.Listener
	maxRecv int
}

func (l wsGuardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newWSGuardConn(c, l.maxRecv), nil
}
