package amberproc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Bins are the paths of amberd and its chain plugin.
type Bins struct {
	Amberd string
	Plugin string // amber-bitcoind
}

// BinsIn is the binaries in dir (as `make build` lays them out in ./bin).
func BinsIn(dir string) Bins {
	return Bins{Amberd: filepath.Join(dir, "amberd"), Plugin: filepath.Join(dir, "amber-bitcoind")}
}

// rootModule is the server's module, which holds amberd and the plugins.
const rootModule = "github.com/amber-electrum/amber"

// FindOrBuild returns the binaries in $AMBER_BIN if it is set (make test
// sets it to ./bin); otherwise it builds them with `go build` (go from
// PATH, run in the root module's directory, which the bench module's
// replace directive names) into dir.
func FindOrBuild(ctx context.Context, dir string) (Bins, error) {
	if d := os.Getenv("AMBER_BIN"); d != "" {
		b := BinsIn(d)
		for _, p := range []string{b.Amberd, b.Plugin} {
			if _, err := os.Stat(p); err != nil {
				return Bins{}, fmt.Errorf("amberproc: AMBER_BIN=%s: %w", d, err)
			}
		}
		return b, nil
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", rootModule).Output()
	if err != nil {
		return Bins{}, fmt.Errorf("amberproc: go list -m %s (run inside the bench module): %w", rootModule, err)
	}
	root := strings.TrimSpace(string(out))
	if root == "" {
		return Bins{}, fmt.Errorf("amberproc: go list -m %s: no directory (the bench module's go.mod must replace it with ../..)", rootModule)
	}
	b := BinsIn(dir)
	for _, args := range [][]string{
		{"build", "-o", b.Amberd, "./cmd/amberd"},
		{"build", "-o", b.Plugin, "./plugins/bitcoind"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return Bins{}, fmt.Errorf("amberproc: go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return b, nil
}
