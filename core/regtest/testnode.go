package regtest

import (
	"context"
	"os"
	"testing"
	"time"
)

// RequireBtcd returns the btcd binary for a test. If it is missing the test
// is skipped, unless the CI environment variable is "true" (or "1"), in
// which case it fails: CI must run the btcd tests.
func RequireBtcd(t testing.TB) string {
	t.Helper()
	p, err := FindBtcd()
	if err == nil {
		return p
	}
	if ci := os.Getenv("CI"); ci == "true" || ci == "1" {
		t.Fatalf("CI=%s and %v", ci, err)
	}
	t.Skipf("skipping: %v (set CI=true to make this a failure)", err)
	return ""
}

// StartTestNode starts a node for t (see RequireBtcd for the skip rule) and
// stops it when the test ends. It fails the test if btcd does not start.
func StartTestNode(t testing.TB, opts NodeOptions) *Node {
	t.Helper()
	if opts.BtcdPath == "" {
		opts.BtcdPath = RequireBtcd(t)
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
