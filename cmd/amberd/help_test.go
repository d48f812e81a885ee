package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// amberd --help prints the usage text (every config key's flag) to
// standard output and exits 0; it used to exit 0 silently.
func TestHelpPrintsUsage(t *testing.T) {
	if os.Getenv("AMBERD_HELP_CHILD") == "1" {
		os.Args = []string{"amberd", "--help"}
		main()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelpPrintsUsage$")
	cmd.Env = append(os.Environ(), "AMBERD_HELP_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("amberd --help: %v", err)
	}
	for _, want := range []string{"Usage: amberd [flags]", "--db-directory", "--connect-rate-per-ip"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help output lacks %q:\n%s", want, out)
		}
	}
}
