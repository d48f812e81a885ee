package transport

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// frame builds a client frame: fin, opcode, the given payload length in
// the header (whatever the payload), masked or not, then payload.
func frame(fin bool, opcode byte, length uint64, masked bool, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	var m byte
	if masked {
		m = 0x80
	}
	out := []byte{b0}
	switch {
	case length < 126:
		out = append(out, m|byte(length))
	case length <= 0xffff:
		out = append(out, m|126, byte(length>>8), byte(length))
	default:
		out = append(out, m|127)
		out = binary.BigEndian.AppendUint64(out, length)
	}
	if masked {
		key := []byte{1, 2, 3, 4}
		out = append(out, key...)
		for i, c := range payload {
			out = append(out, c^key[i%4])
		}
		return out
	}
	return append(out, payload...)
}

func TestFrameParser(t *testing.T) {
	ok := frame(true, 1, 5, true, []byte("hello"))
	for _, tc := range []struct {
		name   string
		stream []byte
		code   int // 0: all accepted
		at     int // offset of the refused header
	}{
		{"masked text", ok, 0, 0},
		{"masked binary", frame(true, 2, 5, true, []byte("hello")), 0, 0},
		{"16-bit length", frame(true, 1, 300, true, make([]byte, 300)), 0, 0},
		{"unmasked text", append(append([]byte{}, ok...), frame(true, 1, 2, false, []byte("hi"))...), 1002, len(ok)},
		{"2^62 claimed, no payload", frame(true, 2, 1<<62, true, nil), 1009, 0},
		{"top bit set", frame(true, 1, 1<<63, true, nil), 1002, 0},
		{"just over max", frame(true, 1, 1001, true, nil), 1009, 0},
		{"max exactly", frame(true, 1, 1000, true, make([]byte, 1000)), 0, 0},
		{"fragments add up", append(append(frame(false, 1, 600, true, make([]byte, 600)), frame(true, 9, 0, true, nil)...), frame(true, 0, 401, true, nil)...), 1009, 608 + 6},
		{"fragments within max", append(frame(false, 1, 600, true, make([]byte, 600)), frame(true, 0, 400, true, make([]byte, 400))...), 0, 0},
		{"new message resets", append(frame(true, 1, 900, true, make([]byte, 900)), frame(true, 1, 900, true, make([]byte, 900))...), 0, 0},
		{"unmasked ping", frame(true, 9, 0, false, nil), 1002, 0},
	} {
		for _, chunk := range []int{0, 1, 3} { // whole, byte by byte, in threes
			p := frameParser{max: 1000}
			passed := 0
			if chunk == 0 {
				passed = p.feed(tc.stream)
			} else {
				for i := 0; i < len(tc.stream) && !p.decided; i += chunk {
					passed = i + p.feed(tc.stream[i:min(i+chunk, len(tc.stream))])
				}
				if p.decided && passed > tc.at {
					passed = tc.at // the offset is reported within the chunk holding the header's last byte
				}
			}
			if p.code != tc.code {
				t.Errorf("%s (chunk %d): code %d, want %d", tc.name, chunk, p.code, tc.code)
			}
			if tc.code != 0 && chunk == 0 && passed != tc.at {
				t.Errorf("%s: refused at %d, want %d", tc.name, passed, tc.at)
			}
		}
	}
	// The header alone decides: no allocation whatever the claimed size.
	hdr := frame(true, 2, 1<<62, true, nil)
	if n := testing.AllocsPerRun(100, func() { p := frameParser{max: 1000}; p.feed(hdr) }); n != 0 {
		t.Errorf("feed allocates %v times", n)
	}
}

// rawWS opens a websocket by hand on ln and returns the socket after the
// 101 answer.
func rawWS(t *testing.T, ln Listener, extra string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return c, rd
}

// readClose reads server frames until a close frame and returns its code.
func readClose(t *testing.T, rd *bufio.Reader) int {
	t.Helper()
	for {
		var h [2]byte
		if _, err := io.ReadFull(rd, h[:]); err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			io.ReadFull(rd, b[:])
			n = int(binary.BigEndian.Uint16(b[:]))
		case 127:
			t.Fatal("huge server frame")
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(rd, body); err != nil {
			t.Fatal(err)
		}
		if h[0]&0x0f == 8 {
			if len(body) < 2 {
				return 1005
			}
			return int(binary.BigEndian.Uint16(body))
		}
	}
}

// TestWSFrameGuard (issue 11.8): a header claiming 2^62 bytes is refused
// with 1009 before any payload is sent, and an unmasked client frame is
// closed with 1002; the messages before it are delivered.
func TestWSFrameGuard(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames []byte
		code   int
		before int // messages delivered first
	}{
		{"2^62 bytes claimed", frame(true, 2, 1<<62, true, nil), 1009, 0},
		{"over max_recv", frame(true, 1, 1<<20, true, nil), 1009, 0},
		{"unmasked after a good one", append(frame(true, 1, 2, true, []byte("{}")), frame(true, 1, 2, false, []byte("{}"))...), 1002, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			ln := listen(t, "ws", Options{MaxRecv: 1000})
			accepted := acceptAsync(t, ln)
			c, rd := rawWS(t, ln, "")
			sc := <-accepted
			if sc == nil {
				t.FailNow()
			}
			if _, err := c.Write(tc.frames); err != nil {
				t.Fatal(err)
			}
			for i := range tc.before {
				if msg, err := sc.ReadMessage(ctx); err != nil || string(msg) != "{}" {
					t.Fatalf("message %d: %q %v", i, msg, err)
				}
			}
			if _, err := sc.ReadMessage(ctx); err == nil {
				t.Fatal("read succeeded, want the refusal")
			}
			if got := readClose(t, rd); got != tc.code {
				t.Errorf("close code %d, want %d", got, tc.code)
			}
			if tc.code == 1009 && sc.Stats().Oversized != 1 {
				t.Errorf("oversized = %d, want 1", sc.Stats().Oversized)
			}
		})
	}
}

// TestWSPipelinedFrameAfterUpgrade: a frame sent in the same write as the
// upgrade request is still checked.
func TestWSPipelinedFrameAfterUpgrade(t *testing.T) {
	ctx := testCtx(t)
	ln := listen(t, "ws", Options{MaxRecv: 1000})
	accepted := acceptAsync(t, ln)
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	c.Write(append([]byte(req), frame(true, 2, 1<<62, true, nil)...))
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	if _, err := sc.ReadMessage(ctx); err == nil {
		t.Fatal("read succeeded")
	}
	if got := readClose(t, rd); got != 1009 {
		t.Errorf("close code %d, want 1009", got)
	}
}

func TestWSOrigins(t *testing.T) {
	for _, tc := range []struct {
		allowed []string
		origin  string
		ok      bool
	}{
		{nil, "https://anything.example", true},
		{[]string{"https://wallet.example"}, "https://wallet.example", true},
		{[]string{"https://wallet.example"}, "HTTPS://Wallet.Example", true},
		{[]string{"https://wallet.example"}, "https://evil.example", false},
		{[]string{"https://wallet.example"}, "http://wallet.example", false},
		{[]string{"https://wallet.example"}, "", true}, // not a browser
	} {
		t.Run(tc.origin, func(t *testing.T) {
			ctx := testCtx(t)
			ln := listen(t, "ws", Options{WSAllowedOrigins: tc.allowed})
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			if tc.ok {
				accepted := acceptAsync(t, ln)
				c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", &websocket.DialOptions{HTTPHeader: h})
				if err != nil {
					t.Fatalf("%v origin %q: %v", tc.allowed, tc.origin, err)
				}
				c.CloseNow()
				if sc := <-accepted; sc != nil {
					sc.Close()
				}
				return
			}
			c, resp, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", &websocket.DialOptions{HTTPHeader: h})
			if err == nil {
				c.CloseNow()
			}
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("%v origin %q: err %v resp %v, want 403", tc.allowed, tc.origin, err, resp)
			}
		})
	}
}

// TestWSInvalidUTF8Text: a text message that is not UTF-8 closes the
// websocket with 1007 (as the websockets library ElectrumX uses); the same
// bytes in a binary message are delivered.
func TestWSInvalidUTF8Text(t *testing.T) {
	ctx := testCtx(t)
	ln := listen(t, "ws", Options{})
	accepted := acceptAsync(t, ln)
	cl := dialWS(t, ctx, ln, "ws", nil)
	sc := <-accepted
	if sc == nil {
		t.FailNow()
	}
	defer sc.Close()
	bad := []byte{'"', 0xff, 0xfe, '"'}
	cl.Write(ctx, websocket.MessageBinary, bad)
	if msg, err := sc.ReadMessage(ctx); err != nil || string(msg) != string(bad) {
		t.Fatalf("binary: %q %v", msg, err)
	}
	clientErr := make(chan error, 1)
	go func() { _, _, err := cl.Read(ctx); clientErr <- err }() // answers the close handshake
	cl.Write(ctx, websocket.MessageText, bad)
	if _, err := sc.ReadMessage(ctx); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("text: err %v, want the UTF-8 refusal", err)
	}
	err := <-clientErr
	if st := websocket.CloseStatus(err); st != websocket.StatusInvalidFramePayloadData {
		t.Errorf("client saw %v (status %d), want 1007", err, st)
	}
}

// FuzzFrameParser: any stream gives the same verdict fed whole or in
// pieces; a refusal is 1002 or 1009.
func FuzzFrameParser(f *testing.F) {
	f.Add(frame(true, 1, 5, true, []byte("hello")), uint8(1))
	f.Add(frame(true, 2, 1<<62, true, nil), uint8(3))
	f.Add(frame(true, 1, 2, false, []byte("hi")), uint8(2))
	f.Add(append(frame(false, 1, 6, true, make([]byte, 6)), frame(true, 0, 300, true, nil)...), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		whole := frameParser{max: 256}
		whole.feed(stream)
		parts := frameParser{max: 256}
		step := int(chunk%16) + 1
		for i := 0; i < len(stream) && !parts.decided; i += step {
			parts.feed(stream[i:min(i+step, len(stream))])
		}
		if whole.decided != parts.decided || whole.code != parts.code {
			t.Fatalf("whole %v/%d, in pieces of %d %v/%d", whole.decided, whole.code, step, parts.decided, parts.code)
		}
		if whole.decided && whole.code != wsCloseProtocolError && whole.code != wsCloseTooBig {
			t.Fatalf("code %d", whole.code)
		}
	})
}
