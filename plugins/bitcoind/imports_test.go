package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// shared are the core packages made for sharing with plugins (archtest's
// sharedWithPlugins) and core/testenv, which the tests (never the binary)
// use to find btcd; archtest checks both rules for every plugin.
var shared = []string{"core/merkle", "core/pyfmt", "core/testenv"}

// TestImportBoundary: the plugin imports only the SDK, coins/, the shared
// core leaves and libraries, never the rest of the host's core packages.
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
		if slices.Contains(shared, strings.TrimPrefix(p, "github.com/amber-electrum/amber/")) {
			continue
		}
		if strings.HasPrefix(p, "github.com/amber-electrum/amber/core") || p == "github.com/amber-electrum/amber/cmd" ||
			strings.HasPrefix(p, "github.com/amber-electrum/amber/cmd/") {
			t.Errorf("plugin depends on host package %s", p)
		}
	}
}
