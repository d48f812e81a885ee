package peers

import (
	"encoding/binary"
	"io"
	"net"
	"reflect"
	"strconv"
	"sync"
	"testing"
)

// fakeSOCKS is a SOCKS5 server on 127.0.0.1 (no authentication) that
// connects every CONNECT request to target and records what was asked.
type fakeSOCKS struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	asked  []string
}

func startFakeSOCKS(t *testing.T, target string) *fakeSOCKS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSOCKS{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.handle(c)
		}
	}()
	return s
}

func (s *fakeSOCKS) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

func (s *fakeSOCKS) handle(c net.Conn) {
	defer c.Close()
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return
	}
	if _, err := c.Write([]byte{5, 0}); err != nil {
		return
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[1] != 1 {
		return // greeting-only probe, or not CONNECT
	}
	var host string
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(c, ip)
		host = net.IP(ip).String()
	case 3:
		var n [1]byte
		io.ReadFull(c, n[:])
		name := make([]byte, n[0])
		io.ReadFull(c, name)
		host = string(name)
	default:
		return
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return
	}
	s.mu.Lock()
	s.asked = append(s.asked, net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:])))))
	s.mu.Unlock()
	up, err := net.Dial("tcp", s.target)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	go io.Copy(up, c)
	io.Copy(c, up)
}

// TestOnionThroughProxy: onion peers are ignored without a proxy; once
// the proxy is detected they are verified through it, and served with
// their host as first element.
func TestOnionThroughProxy(t *testing.T) {
	fp := startFakePeer(t)
	const onion = "abcdefghijklmnop.onion"
	fp.set(func(f *fakePeer) { f.Host = onion })
	onionName := onion + " t" + itoa(fp.Port)

	noProxy := testManager(t, Options{}, true)
	noProxy.AddAdminPeer(onionName)
	if n := len(noProxy.Peers()); n != 0 {
		t.Errorf("onion peer noted without a proxy")
	}

	socks := startFakeSOCKS(t, fp.ln.Addr().String())
	m := testManager(t, Options{TorProxy: socks.ln.Addr().String()}, true)
	waitFor(t, "proxy detected", func() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.proxy != "" })
	m.AddAdminPeer(onionName)
	waitFor(t, "onion verified", func() bool { p, _ := peerInfo(m, onion, fp.Port); return p.Status == "good" })
	if got, want := socks.requests(), []string{onion + ":" + itoa(fp.Port)}; !reflect.DeepEqual(got, want) {
		t.Errorf("proxy asked for %v, want %v", got, want)
	}
	want := [][]any{{onion, onion, []any{"v1.4.2", "t" + itoa(fp.Port)}}}
	if got := m.PeersSubscribe(); !reflect.DeepEqual(got, want) {
		t.Errorf("PeersSubscribe = %v, want %v", got, want)
	}
}

// TestForceProxy: with ForceProxy, clearnet peers are reached through the
// proxy too.
func TestForceProxy(t *testing.T) {
	fp := startFakePeer(t)
	fp.set(func(f *fakePeer) { f.Host = "clear.example.com" })
	socks := startFakeSOCKS(t, fp.ln.Addr().String())
	m := testManager(t, Options{TorProxy: socks.ln.Addr().String(), ForceProxy: true}, true)
	waitFor(t, "proxy detected", func() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.proxy != "" })
	m.AddAdminPeer("clear.example.com t" + itoa(fp.Port))
	waitFor(t, "verified", func() bool { p, _ := peerInfo(m, "clear.example.com", fp.Port); return p.Status == "good" })
	if got := socks.requests(); len(got) != 1 || got[0] != "clear.example.com:"+itoa(fp.Port) {
		t.Errorf("proxy asked for %v", got)
	}
}
