package e2e

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/e2e/harness"
	"github.com/amber-electrum/amber/core/regtest"
	"github.com/coder/websocket"
)

// wsFrame is a client frame: FIN, opcode, the claimed payload length,
// masked or not, then the payload.
func wsFrame(opcode byte, length uint64, masked bool, payload []byte) []byte {
	out := []byte{0x80 | opcode}
	var m byte
	if masked {
		m = 0x80
	}
	switch {
	case length < 126:
		out = append(out, m|byte(length))
	case length <= 0xffff:
		out = append(out, m|126, byte(length>>8), byte(length))
	default:
		out = append(out, m|127)
		out = binary.BigEndian.AppendUint64(out, length)
	}
	if !masked {
		return append(out, payload...)
	}
	key := [4]byte{7, 1, 9, 3}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// wsOpen upgrades a raw socket to a websocket on amberd's ws service.
func wsOpen(t *testing.T, addr, origin string) (net.Conn, *bufio.Reader, int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	return c, rd, resp.StatusCode
}

// wsNext reads the next server frame: opcode and payload.
func wsNext(t *testing.T, rd *bufio.Reader) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(rd, h[:]); err != nil {
		t.Fatalf("no frame from amberd: %v", err)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(rd, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(rd, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		t.Fatalf("server frame of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(rd, body); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, body
}

// TestWSHostileFrames (issue 11.8) against a real amberd: a frame header
// claiming 2^62 bytes is refused at once with 1009 (no payload is ever
// sent: waiting for it would hang the test), an unmasked frame is closed
// with 1002, a binary request is answered as a text one (in text), and
// with ws_allowed_origins a foreign Origin gets 403 while a listed one and
// a request without Origin get in. A polite websocket client works
// throughout and amberd keeps serving.
func TestWSHostileFrames(t *testing.T) {
	node := harness.StartNode(t, regtest.NodeOptions{})
	generate(t, node, 73, regtest.Spec{Blocks: 102, TxPerBlock: 1, Scripts: 2})
	a := harness.StartAmberd(t, harness.AmberdOptions{DaemonURL: node.URL(), WaitSynced: true,
		Env: map[string]string{"AMBER_WS_ALLOWED_ORIGINS": "https://wallet.example"}})
	ctx := timeout(t, 2*time.Minute)
	polite, _, err := websocket.Dial(ctx, "ws://"+a.WSAddr()+"/", nil)
	if err != nil {
		t.Fatalf("polite client: %v", err)
	}
	defer polite.CloseNow()
	if err := polite.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"server.version","params":["polite","1.4"],"id":0}`)); err != nil {
		t.Fatalf("polite server.version: %v", err)
	}
	if _, msg, err := polite.Read(ctx); err != nil || !strings.Contains(string(msg), `"result"`) {
		t.Fatalf("polite server.version: %q %v", msg, err)
	}
	ping := func(when string) {
		t.Helper()
		if err := polite.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"server.ping","id":1}`)); err != nil {
			t.Fatalf("%s: polite write: %v", when, err)
		}
		if _, msg, err := polite.Read(ctx); err != nil || !strings.Contains(string(msg), `"result":null`) {
			t.Fatalf("%s: polite ping: %q %v", when, msg, err)
		}
	}
	ping("start")

	for _, tc := range []struct {
		name  string
		frame []byte
		code  int
	}{
		{"2^62 bytes claimed", wsFrame(2, 1<<62, true, nil), 1009},
		{"unmasked frame", wsFrame(1, 24, false, []byte(`{"method":"server.ping"}`)), 1002},
	} {
		c, rd, status := wsOpen(t, a.WSAddr(), "")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("%s: upgrade status %d", tc.name, status)
		}
		c.Write(tc.frame)
		op, body := wsNext(t, rd)
		if op != 8 || len(body) < 2 || int(binary.BigEndian.Uint16(body)) != tc.code {
			t.Errorf("%s: frame op %d body %q, want close %d", tc.name, op, body, tc.code)
		}
		ping("after " + tc.name)
	}

	// Binary request, text answer.
	c, rd, _ := wsOpen(t, a.WSAddr(), "https://wallet.example")
	req := []byte(`{"jsonrpc":"2.0","method":"server.version","params":["e2e","1.4"],"id":5}`)
	c.Write(wsFrame(2, uint64(len(req)), true, req))
	op, body := wsNext(t, rd)
	if op != 1 || !strings.Contains(string(body), `"id":5`) || !strings.Contains(string(body), `"result"`) {
		t.Errorf("binary request: op %d %q, want a text result", op, body)
	}

	// Origins.
	if _, _, status := wsOpen(t, a.WSAddr(), "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("foreign origin: status %d, want 403", status)
	}
	if _, _, status := wsOpen(t, a.WSAddr(), "https://WALLET.example"); status != http.StatusSwitchingProtocols {
		t.Errorf("listed origin: status %d, want 101", status)
	}
	ping("end")
	if !a.Alive() {
		t.Fatal("amberd died")
	}
}
