package regtest

import (
	"context"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/testenv"
)

// StartTestNode starts a node for t (a missing btcd skips or fails it by
// testenv's rule) and
// stops it when the test ends. It fails the test if btcd does not start.
func StartTestNode(t testing.TB, opts NodeOptions) *Node {
	t.Helper()
	if opts.BtcdPath == "" {
		opts.BtcdPath = testenv.RequireBtcd(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := StartNode(ctx, opts)
	if err != nil {
		t.Fatalf("start btcd: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("btcd output (tail):\n%s", n.Output())
		}
		n.Stop()
	})
	return n
}
