package transport

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"
)

// chunkReader returns its chunks one Read at a time.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

func readAll(t testing.TB, lr *lineReader) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		msg, err := lr.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
}

// model is the framing rule stated plainly: split on '\n', drop the
// unterminated tail, discard lines longer than max, strip one trailing
// '\r', skip empty lines.
func model(stream []byte, max int) (msgs [][]byte, oversized int) {
	parts := bytes.Split(stream, []byte{'\n'})
	tail := parts[len(parts)-1]
	if len(tail) > max {
		oversized++
	}
	for _, p := range parts[:len(parts)-1] {
		if len(p) > max {
			oversized++
			continue
		}
		p = bytes.TrimSuffix(p, []byte{'\r'})
		if len(p) > 0 {
			msgs = append(msgs, p)
		}
	}
	return msgs, oversized
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, m := range b {
		out[i] = string(m)
	}
	return out
}

func TestLineFraming(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 40)
	tests := []struct {
		name      string
		chunks    []string
		want      []string
		oversized int
	}{
		{"one message", []string{"{\"a\":1}\n"}, []string{`{"a":1}`}, 0},
		{"split writes", []string{"{\"a\"", ":1", "}\n"}, []string{`{"a":1}`}, 0},
		{"several per packet", []string{"a\nb\nc\n"}, []string{"a", "b", "c"}, 0},
		{"message split across packets", []string{"a\nb", "b\nc", "c\n"}, []string{"a", "bb", "cc"}, 0},
		{"crlf", []string{"a\r\nb\r", "\n"}, []string{"a", "b"}, 0},
		{"inner cr kept", []string{"a\rb\n"}, []string{"a\rb"}, 0},
		{"empty lines skipped", []string{"\n\r\n\na\n\n"}, []string{"a"}, 0},
		{"unterminated tail dropped", []string{"a\nbc"}, []string{"a"}, 0},
		{"oversize then good", []string{string(long) + "\n", "good\n"}, []string{"good"}, 1},
		{"oversize over many reads", []string{string(long[:15]), string(long[15:]), "\nok\n"}, []string{"ok"}, 1},
		{"oversize with newline in same chunk", []string{"ab\n" + string(long) + "\ncd\n"}, []string{"ab", "cd"}, 1},
		{"exactly max is kept", []string{string(long[:32]) + "\n"}, []string{string(long[:32])}, 0},
		{"max+1 is dropped", []string{string(long[:33]) + "\nz\n"}, []string{"z"}, 1},
		{"two oversize lines", []string{string(long) + "\n" + string(long) + "\ny\n"}, []string{"y"}, 2},
		{"oversize unterminated at EOF", []string{"a\n" + string(long)}, []string{"a"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sz := range bufSizes {
				var chunks [][]byte // chunkReader consumes them
				for _, c := range tt.chunks {
					chunks = append(chunks, []byte(c))
				}
				n := 0
				lr := newLineReaderSize(&chunkReader{chunks: chunks}, 32, sz.small, sz.large, func() { n++ })
				got := strs(readAll(t, lr))
				if len(got) == 0 {
					got = nil
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("buffers %v: got %q, want %q", sz, got, tt.want)
				}
				if n != tt.oversized {
					t.Errorf("buffers %v: oversized %d, want %d", sz, n, tt.oversized)
				}
			}
		})
	}
}

// timeoutReader fails once with a deadline error at a given point.
type timeoutReader struct {
	r       io.Reader
	failAt  int
	read    int
	tripped bool
}

func (r *timeoutReader) Read(p []byte) (int, error) {
	if !r.tripped && r.read >= r.failAt {
		r.tripped = true
		return 0, os.ErrDeadlineExceeded
	}
	if !r.tripped && r.read+len(p) > r.failAt {
		p = p[:r.failAt-r.read]
	}
	n, err := r.r.Read(p)
	r.read += n
	return n, err
}

// bufSizes are the small and large read buffers the framing tests run
// with: fixed like a bufio.Reader, and growing from tiny ones.
var bufSizes = []struct{ small, large int }{{16, 16}, {4, 16}, {1, 8}, {3, 64}}

func TestLineReaderResumesAfterTimeout(t *testing.T) {
	stream := []byte("first\n" + string(bytes.Repeat([]byte("y"), 30)) + "\nlast\n")
	for failAt, sz := 0, bufSizes[0]; failAt <= len(stream); failAt++ {
		if failAt%2 == 1 {
			sz = bufSizes[1+failAt/2%(len(bufSizes)-1)]
		}
		lr := newLineReaderSize(&timeoutReader{r: bytes.NewReader(stream), failAt: failAt}, 32, sz.small, sz.large, func() {})
		var got []string
		for {
			msg, err := lr.next()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(msg))
		}
		want := []string{"first", string(bytes.Repeat([]byte("y"), 30)), "last"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("failAt %d: got %q", failAt, got)
		}
	}
}

// modelDropped is the bytes of the discarded lines (with their newline;
// an unterminated oversized tail without one).
func modelDropped(stream []byte, max int) int {
	parts := bytes.Split(stream, []byte{'\n'})
	n := 0
	if tail := parts[len(parts)-1]; len(tail) > max {
		n += len(tail)
	}
	for _, p := range parts[:len(parts)-1] {
		if len(p) > max {
			n += len(p) + 1
		}
	}
	return n
}

func FuzzLineFraming(f *testing.F) {
	f.Add([]byte("a\nb\r\n\n"+string(bytes.Repeat([]byte("z"), 50))+"\nc\n"), []byte{3, 1, 20}, uint8(10))
	f.Add([]byte("\n\n\n"), []byte{1}, uint8(0))
	f.Add([]byte("abc"), []byte{}, uint8(2))
	f.Fuzz(func(t *testing.T, stream, cuts []byte, maxByte uint8) {
		max := int(maxByte%64) + 1
		var chunks [][]byte
		rest := stream
		for _, c := range cuts {
			n := min(int(c), len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		chunks = append(chunks, rest)
		n := 0
		sz := bufSizes[int(maxByte)%len(bufSizes)]
		lr := newLineReaderSize(&chunkReader{chunks: chunks}, max, sz.small, sz.large, func() { n++ })
		dropped := 0
		lr.dropped = func(k int) { dropped += k }
		got := readAll(t, lr)
		want, wantN := model(stream, max)
		if !reflect.DeepEqual(strs(got), strs(want)) || n != wantN {
			t.Fatalf("max %d: got %q (%d oversized), want %q (%d)", max, got, n, want, wantN)
		}
		// Every byte of a discarded line (its newline included) is
		// reported, so that the session can charge it (issue 12.13).
		if want := modelDropped(stream, max); dropped != want {
			t.Fatalf("max %d: %d bytes reported discarded, want %d", max, dropped, want)
		}
	})
}

// TestLineBufFollowsTraffic: reads that fill the small buffer move to a
// large one; once a read drains the source and its lines are consumed, the
// next read goes back to the small buffer.
func TestLineBufFollowsTraffic(t *testing.T) {
	burst := bytes.Repeat([]byte("abcd\n"), 20)
	tests := []struct {
		name      string
		chunks    []string
		wantLarge bool // a large buffer was used
	}{
		{"quiet", []string{"ab\n", "cd\n", "ef\n"}, false},
		{"burst then quiet", []string{string(burst), "x\n", "y\n"}, true},
		{"long line", []string{string(bytes.Repeat([]byte("z"), 40)) + "\n", "q\n"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			lr := newLineReaderSize(&chunkReader{chunks: chunks}, 100, 8, 64, func() {})
			usedLarge := false
			var last []byte
			for {
				msg, err := lr.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				last = msg
				usedLarge = usedLarge || lr.r.big != nil
			}
			if usedLarge != tt.wantLarge {
				t.Errorf("large buffer used = %v, want %v", usedLarge, tt.wantLarge)
			}
			if lr.r.big != nil || len(lr.r.buf) != 8 {
				t.Errorf("after the last line %q: large buffer held (%v) or buffer of %d bytes, want the 8-byte one",
					last, lr.r.big != nil, len(lr.r.buf))
			}
		})
	}
}

// TestLongLinesAssembled: lines that span many buffer fills (held in
// pooled pieces) come back whole and exact, '\r' trimmed even when it
// ends a piece, each an independent copy that later lines do not touch.
func TestLongLinesAssembled(t *testing.T) {
	a := bytes.Repeat([]byte("a"), 3*readBufSize+5)
	b := bytes.Repeat([]byte("b"), readBufSize-1) // its '\r' is the last byte of a piece
	c := bytes.Repeat([]byte("c"), 2*readBufSize)
	stream := bytes.Join([][]byte{a, append(b, '\r'), []byte("\r"), c, []byte("x")}, []byte("\n"))
	stream = append(stream, '\n')
	var chunks [][]byte
	for rest := stream; len(rest) > 0; {
		n := min(1000, len(rest))
		chunks = append(chunks, rest[:n])
		rest = rest[n:]
	}
	got := readAll(t, newLineReader(&chunkReader{chunks: chunks}, DefaultMaxRecv, func() {}))
	want := [][]byte{a, b, c, []byte("x")}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("line %d: %d bytes, want %d (%.10q…)", i, len(got[i]), len(want[i]), got[i])
		}
	}
}
