package sdktest

import (
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// WireHost serves impl as amberd serves its host services
// (hostside.RegisterHost: the HostServices service, and HostFees when impl
// is also an sdk.FeeHost) on a loopback gRPC server, and returns the Host
// a plugin receives for it: an sdk.Host that is also an sdk.FeeHost and an
// sdk.BalanceHost, answering KindUnimplemented for a service impl lacks.
// Both ends are closed when the test ends.
func WireHost(t testing.TB, impl sdk.Host) sdk.Host {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(hostside.ServerOptions()...)
	hostside.RegisterHost(s, impl)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return hostside.NewHostClient(cc)
}
