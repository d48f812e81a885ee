package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/testenv"
)

// TestAmberdAsRoot runs the real amberd as root: without ALLOW_ROOT it stops
// at once with the refusal, with ALLOW_ROOT (as StartAmberd passes it) it
// gets past the check and stops later, at its plugin, which this test points
// at a missing binary. Only root can see the refusal, so other users skip.
func TestAmberdAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not running as root: the root check cannot be exercised")
	}
	bins := Binaries(t)
	base := []string{
		"PATH=" + testenv.SearchPath(), "COIN=Bitcoin", "NET=regtest",
		"DB_DIRECTORY=" + t.TempDir(), "DAEMON_URL=u:p@127.0.0.1:1",
		"AMBER_PLUGINS__BITCOIND__PATH=" + filepath.Join(t.TempDir(), "no-such-plugin"),
	}
	for _, tc := range []struct {
		name    string
		env     []string
		refused bool
	}{
		{"without ALLOW_ROOT", base, true},
		{"with ALLOW_ROOT", append(append([]string(nil), base...), "ALLOW_ROOT=1"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bins.Amberd)
			cmd.Env = tc.env
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("amberd exited 0; output:\n%s", out)
			}
			refused := strings.Contains(string(out), "refusing to run as root")
			if refused != tc.refused {
				t.Fatalf("refused = %v, want %v; output:\n%s", refused, tc.refused, out)
			}
			if !tc.refused && !strings.Contains(string(out), "no-such-plugin") {
				t.Errorf("with ALLOW_ROOT amberd should stop at the missing plugin; output:\n%s", out)
			}
		})
	}
}
