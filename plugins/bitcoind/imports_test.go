package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImportBoundary: the plugin imports only the SDK, coins/ and libraries,
// never the host's core packages.
func TestImportBoundary(t *testing.T) {
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", "-test",
		"github.com/amber-electrum/amber/plugins/bitcoind/...",
		"github.com/amber-electrum/amber/plugins/internal/chainbackend/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list returned nothing")
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "github.com/amber-electrum/amber/core") || p == "github.com/amber-electrum/amber/cmd" ||
			strings.HasPrefix(p, "github.com/amber-electrum/amber/cmd/") {
			t.Errorf("plugin depends on host package %s", p)
		}
	}
}
