package cost

import (
	"net"
	"net/netip"
	"testing"
)

type strAddr string

func (s strAddr) Network() string { return "test" }
func (s strAddr) String() string  { return string(s) }

func TestSubnetGroup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		addr   net.Addr
		p4, p6 int
		want   string
		ok     bool
	}{
		{"ipv4 /24", tcp("81.2.69.142"), 24, 48, "81.2.69.0/24", true},
		{"ipv4 /16", tcp("81.2.69.142"), 16, 48, "81.2.0.0/16", true},
		{"ipv4 /0", tcp("81.2.69.142"), 0, 48, "0.0.0.0/0", true},
		{"ipv4-mapped", tcp("::ffff:81.2.69.142"), 24, 48, "81.2.69.0/24", true},
		{"ipv6 /48", tcp("2a01:4f8:1234:5678::1"), 24, 48, "2a01:4f8:1234::/48", true},
		{"ipv6 /64", tcp("2a01:4f8:1234:5678::1"), 24, 64, "2a01:4f8:1234:5678::/64", true},
		{"udp", &net.UDPAddr{IP: net.ParseIP("8.8.4.4")}, 24, 48, "8.8.4.0/24", true},
		{"string addr", strAddr("9.9.9.9:50002"), 24, 48, "9.9.9.0/24", true},
		{"zoned link-local string", strAddr("[fe80::1%eth0]:1"), 24, 48, "", false},
		{"zoned link-local tcp", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0"}, 24, 48, "", false},
		{"loopback", tcp("127.0.0.1"), 24, 48, "", false},
		{"rfc1918", tcp("172.20.1.1"), 24, 48, "", false},
		{"link-local", tcp("169.254.3.4"), 24, 48, "", false},
		{"ipv6 loopback", tcp("::1"), 24, 48, "", false},
		{"ula", tcp("fd12:3456::1"), 24, 48, "", false},
		{"ipv6 link-local", tcp("fe80::1"), 24, 48, "", false},
		{"nil", nil, 24, 48, UnknownAddrGroup, true},
		{"unix socket", &net.UnixAddr{Name: "/tmp/x", Net: "unix"}, 24, 48, UnknownAddrGroup, true},
	} {
		got, ok := SubnetGroup(tc.addr, tc.p4, tc.p6)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: SubnetGroup = %q %v, want %q %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestIsPrivateMirrorsPython(t *testing.T) {
	for ip, want := range map[string]bool{
		"10.1.2.3": true, "192.168.0.1": true, "127.5.5.5": true, "0.1.2.3": true,
		"192.0.2.1": true, "203.0.113.9": true, "2001:db8::1": true, "::ffff:10.0.0.1": true,
		"100.64.0.1": false, // shared address space: neither private nor global in Python
		"8.8.8.8":    false, "1.1.1.1": false, "2a00:1450::1": false, "172.32.0.1": false,
	} {
		if got := IsPrivate(netip.MustParseAddr(ip)); got != want {
			t.Errorf("IsPrivate(%s) = %v, want %v", ip, got, want)
		}
	}
}

// FuzzSubnetGroup: any address string either yields no group (private),
// unknown_addr, or a CIDR network that contains the address.
func FuzzSubnetGroup(f *testing.F) {
	for _, s := range []string{"81.2.69.142:1", "[2a01:4f8::1]:50002", "127.0.0.1:1", "[::ffff:1.2.3.4]:5", "x", "[fe80::1%eth0]:1"} {
		f.Add(s, 24, 48)
	}
	f.Fuzz(func(t *testing.T, s string, p4, p6 int) {
		p4, p6 = abs(p4)%33, abs(p6)%129
		name, ok := SubnetGroup(strAddr(s), p4, p6)
		if !ok || name == UnknownAddrGroup {
			return
		}
		pfx, err := netip.ParsePrefix(name)
		if err != nil {
			t.Fatalf("%q → %q: %v", s, name, err)
		}
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			t.Fatalf("%q has no address but got group %q", s, name)
		}
		if !pfx.Contains(ap.Addr().Unmap().WithZone("")) {
			t.Fatalf("%q → %q does not contain the address", s, name)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
