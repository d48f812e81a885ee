package transport

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// lineReader splits a byte stream into '\n'-terminated messages. A line
// longer than max bytes (excluding the '\n') is discarded as it arrives and
// reading resynchronises after its newline, as aiorpcX's NewlineFramer does
// with MAX_RECV. Empty lines (also a lone "\r") are skipped, and a trailing
// '\r' is removed. Partial state survives read errors such as timeouts, so
// a later call continues the same line.
type lineReader struct {
	r   *lineBuf
	max int
	// The current line so far, when it spans buffer fills, is held in
	// pooled pieces of readBufSize bytes, accLen in all, and copied once
	// into a message of its exact size when its newline comes: a 270 kB
	// batch line read 8 kB at a time was otherwise appended into a growing
	// slice (about 1.5 MB of allocations, then cloned once more); under the
	// abandon attack that was two thirds of amberd's allocation (issue 11).
	parts      []*[]byte
	accLen     int
	discarding bool        // inside an oversized line
	oversized  func()      // called once per discarded line
	dropped    func(n int) // if set, called with the bytes of discarded lines as they go
}

// Read buffer sizes: a quiet connection reads into smallBufSize bytes of
// its own; one whose reads fill that borrows a readBufSize buffer from a
// pool until its reads stop filling it.
const (
	smallBufSize = 512
	readBufSize  = 8 << 10
)

func newLineReader(r io.Reader, max int, oversized func()) *lineReader {
	return newLineReaderSize(r, max, smallBufSize, readBufSize, oversized)
}

func newLineReaderSize(r io.Reader, max, small, large int, oversized func()) *lineReader {
	return &lineReader{r: newLineBuf(r, small, large), max: max, oversized: oversized}
}

// next returns the next non-empty line, freshly allocated.
func (l *lineReader) next() ([]byte, error) {
	for {
		frag, err := l.r.readSlice()
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			l.take(frag)
			continue
		default:
			l.take(frag) // keep a partial line across a timeout
			return nil, err
		}
		line := frag[:len(frag)-1]
		if l.discarding {
			l.discarding = false
			l.drop(len(frag))
			continue
		}
		if l.accLen+len(line) > l.max {
			l.drop(l.accLen + len(frag))
			l.reset()
			l.oversized()
			continue
		}
		var msg []byte
		if l.accLen > 0 {
			msg = l.assemble(line)
		} else if line = bytes.TrimSuffix(line, []byte{'\r'}); len(line) > 0 {
			msg = bytes.Clone(line)
		}
		l.reset()
		if len(msg) > 0 {
			return msg, nil
		}
	}
}

// assemble returns the held pieces followed by last, as one new message
// without its trailing '\r' (nil when that leaves nothing).
func (l *lineReader) assemble(last []byte) []byte {
	msg := make([]byte, 0, l.accLen+len(last))
	for _, p := range l.parts {
		msg = append(msg, *p...)
	}
	msg = append(msg, last...)
	msg = bytes.TrimSuffix(msg, []byte{'\r'})
	if len(msg) == 0 {
		return nil
	}
	return msg
}

// take adds part of a line that has no newline yet.
func (l *lineReader) take(frag []byte) {
	if l.discarding || len(frag) == 0 {
		l.drop(len(frag))
		return
	}
	if l.accLen+len(frag) > l.max {
		l.drop(l.accLen + len(frag))
		l.reset()
		l.discarding = true
		l.oversized()
		return
	}
	l.accLen += len(frag)
	for len(frag) > 0 {
		if n := len(l.parts); n == 0 || len(*l.parts[n-1]) == cap(*l.parts[n-1]) {
			p := bigBufs.Get().(*[]byte)
			*p = (*p)[:0]
			l.parts = append(l.parts, p)
		}
		p := l.parts[len(l.parts)-1]
		k := min(len(frag), cap(*p)-len(*p))
		*p = append(*p, frag[:k]...)
		frag = frag[k:]
	}
}

// drop reports n discarded bytes.
func (l *lineReader) drop(n int) {
	if n > 0 && l.dropped != nil {
		l.dropped(n)
	}
}

func (l *lineReader) reset() {
	for i, p := range l.parts {
		*p = (*p)[:cap(*p)]
		bigBufs.Put(p)
		l.parts[i] = nil
	}
	l.parts = l.parts[:0]
	if cap(l.parts) > 16 {
		l.parts = nil // do not pin a long list per idle connection
	}
	l.accLen = 0
}
