package transport

import (
	"bufio"
	"bytes"
	"io"
	"sync"
)

// bigBufs holds idle readBufSize read buffers.
var bigBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// lineBuf is the part of bufio.Reader that lineReader uses, ReadSlice('\n'),
// with a buffer that follows the traffic instead of a fixed 8 KiB per
// connection: thousands of idle subscribed sessions each block in a read,
// and each such read needs its buffer for as long as it waits.
//
// A read goes into the small buffer (allocated once) unless the previous
// read filled the buffer it was given, or the buffered bytes fill the small
// buffer without a newline: then a large buffer comes from bigBufs, and
// goes back once a read returns less than it could take and everything
// read has been consumed. Lines longer than the large buffer come back in
// pieces with bufio.ErrBufferFull, as from a bufio.Reader of that size.
type lineBuf struct {
	rd       io.Reader
	buf      []byte // small or big
	small    []byte
	big      *[]byte // from bigBufs while in use
	large    int
	r, w     int
	lastFull bool // the last read filled the space it was given
	empty    int  // consecutive reads that returned nothing
	err      error
}

func newLineBuf(rd io.Reader, small, large int) *lineBuf {
	return &lineBuf{rd: rd, small: make([]byte, 0, small), large: max(large, small)}
}

// readSlice returns the bytes up to and including the next '\n'. Without a
// newline it returns the buffered bytes with bufio.ErrBufferFull when a
// full large buffer holds none, or with the read error. The slice is valid
// until the next call.
func (b *lineBuf) readSlice() ([]byte, error) {
	for {
		if i := bytes.IndexByte(b.buf[b.r:b.w], '\n'); i >= 0 {
			line := b.buf[b.r : b.r+i+1]
			b.r += i + 1
			return line, nil
		}
		if b.w-b.r >= b.large {
			line := b.buf[b.r:b.w]
			b.r = b.w
			return line, bufio.ErrBufferFull
		}
		if b.err != nil {
			line, err := b.buf[b.r:b.w], b.err
			b.r, b.err = b.w, nil
			return line, err
		}
		b.fill()
	}
}

// fill picks the buffer for the next read, moves the unread bytes to its
// start and reads once.
func (b *lineBuf) fill() {
	pending := b.w - b.r
	switch {
	case b.big == nil && (b.lastFull || pending == cap(b.small)) && b.large > cap(b.small):
		b.big = b.getBig()
		n := copy(*b.big, b.buf[b.r:b.w])
		b.buf, b.r, b.w = *b.big, 0, n
	case b.big != nil && !b.lastFull && pending <= cap(b.small):
		// The last read drained the socket: the next one may wait long.
		n := copy(b.small[:cap(b.small)], b.buf[b.r:b.w])
		b.putBig()
		b.buf, b.r, b.w = b.small[:cap(b.small)], 0, n
	case b.buf == nil:
		b.buf = b.small[:cap(b.small)]
	case b.r > 0:
		copy(b.buf, b.buf[b.r:b.w])
		b.r, b.w = 0, pending
	}
	space := len(b.buf) - b.w
	n, err := b.rd.Read(b.buf[b.w:])
	if n < 0 || n > space {
		panic("transport: reader returned an invalid count")
	}
	b.w += n
	b.lastFull = n == space
	if err != nil {
		b.err = err
		return
	}
	if n > 0 {
		b.empty = 0
	} else if b.empty++; b.empty >= 100 {
		b.err = io.ErrNoProgress // as bufio.Reader
	}
}

func (b *lineBuf) getBig() *[]byte {
	if b.large == readBufSize {
		return bigBufs.Get().(*[]byte)
	}
	buf := make([]byte, b.large)
	return &buf
}

func (b *lineBuf) putBig() {
	if b.large == readBufSize {
		bigBufs.Put(b.big)
	}
	b.big = nil
}
