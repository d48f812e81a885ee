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
	r          *lineBuf
	max        int
	acc        []byte      // the current line so far, when it spans buffer fills
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
		if len(l.acc)+len(line) > l.max {
			l.drop(len(l.acc) + len(frag))
			l.reset()
			l.oversized()
			continue
		}
		if len(l.acc) > 0 {
			l.acc = append(l.acc, line...)
			line = l.acc
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		var msg []byte
		if len(line) > 0 {
			msg = bytes.Clone(line)
		}
		l.reset()
		if msg != nil {
			return msg, nil
		}
	}
}

// take adds part of a line that has no newline yet.
func (l *lineReader) take(frag []byte) {
	if l.discarding || len(frag) == 0 {
		l.drop(len(frag))
		return
	}
	if len(l.acc)+len(frag) > l.max {
		l.drop(len(l.acc) + len(frag))
		l.reset()
		l.discarding = true
		l.oversized()
		return
	}
	l.acc = append(l.acc, frag...)
}

// drop reports n discarded bytes.
func (l *lineReader) drop(n int) {
	if n > 0 && l.dropped != nil {
		l.dropped(n)
	}
}

func (l *lineReader) reset() {
	if cap(l.acc) > 4*readBufSize {
		l.acc = nil // do not pin a large buffer per idle connection
	} else {
		l.acc = l.acc[:0]
	}
}
