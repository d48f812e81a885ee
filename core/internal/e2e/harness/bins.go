package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/amber-electrum/amber/core/regtest"
	"github.com/amber-electrum/amber/core/testenv"
)

// Bins are the paths of the Amber binaries under test.
type Bins struct {
	Amberd   string // cmd/amberd
	Amberctl string // cmd/amberctl
	Plugin   string // plugins/bitcoind (amber-bitcoind)
}

var (
	binsOnce sync.Once
	bins     Bins
	binsErr  error
)

// Binaries returns the binaries under test. If $AMBER_BIN is set (make test
// sets it to ./bin) they are taken from that directory; otherwise they are
// built once per test process with `go build` (go from PATH) into a
// temporary directory. A missing binary or a failed build fails the test.
func Binaries(t testing.TB) Bins {
	t.Helper()
	binsOnce.Do(func() { bins, binsErr = findOrBuild(context.Background()) })
	if binsErr != nil {
		t.Fatalf("amber binaries: %v", binsErr)
	}
	return bins
}

func findOrBuild(ctx context.Context) (Bins, error) {
	if dir := os.Getenv("AMBER_BIN"); dir != "" {
		b := binsIn(dir)
		for _, p := range []string{b.Amberd, b.Amberctl, b.Plugin} {
			if _, err := os.Stat(p); err != nil {
				return Bins{}, fmt.Errorf("AMBER_BIN=%s: %w", dir, err)
			}
		}
		return b, nil
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return Bins{}, err
	}
	dir, err := os.MkdirTemp("", "amber-e2e-bin-")
	if err != nil {
		return Bins{}, fmt.Errorf("bin dir: %w", err)
	}
	b := binsIn(dir)
	builds := [][]string{
		{"build", "-o", dir + string(filepath.Separator), "./cmd/amberd", "./cmd/amberctl"},
		{"build", "-o", b.Plugin, "./plugins/bitcoind"},
	}
	for _, args := range builds {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return Bins{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return b, nil
}

func binsIn(dir string) Bins {
	return Bins{
		Amberd:   filepath.Join(dir, "amberd"),
		Amberctl: filepath.Join(dir, "amberctl"),
		Plugin:   filepath.Join(dir, "amber-bitcoind"),
	}
}

// moduleRoot returns the directory of the root module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the amber module (go env GOMOD = %q)", mod)
	}
	return filepath.Dir(mod), nil
}

// StartNode starts a btcd regtest node for the test (a missing btcd skips or
// fails the test by testenv's rule) and stops it when the test ends. On
// failure the node's output tail is logged.
func StartNode(t testing.TB, opts regtest.NodeOptions) *regtest.Node {
	t.Helper()
	if opts.BtcdPath == "" {
		opts.BtcdPath = testenv.RequireBtcd(t)
	}
	n, err := regtest.StartNode(context.Background(), opts)
	if err != nil {
		t.Fatalf("start btcd: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("btcd output tail:\n%s", n.Output())
		}
		n.Stop()
	})
	return n
}
