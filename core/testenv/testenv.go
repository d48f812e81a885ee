// Package testenv finds the programs Amber's tests run against (btcd,
// btcctl, Debian's electrum) and applies one rule when one is missing:
// under CI (the CI environment variable set to anything but "", "0" or
// "false"; .ci/run and GitHub Actions set CI=true) the test fails, because CI
// must run every real-process test; elsewhere it is skipped with a message
// that says how to install the program. Every test that needs one of these
// programs goes through this package (core, plugins and cmd tests alike; it
// imports nothing of the server).
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Tool is an external program tests need.
type Tool struct {
	// Name is the program's file name ("btcd").
	Name string
	// Install says how to get it, for the skip message.
	Install string
	// Paths, when set, are the only places the program is looked for
	// (absolute paths); otherwise it is looked up with GoBinLookup.
	Paths []string
}

const btcdInstall = "make setup, or: go install github.com/btcsuite/btcd@v0.24.2 github.com/btcsuite/btcd/cmd/btcctl@v0.24.2"

var (
	// Btcd is btcd v0.24.2, from PATH or Go's bin directories.
	Btcd = Tool{Name: "btcd", Install: btcdInstall}
	// Btcctl is btcd's RPC client, installed with it.
	Btcctl = Tool{Name: "btcctl", Install: btcdInstall}
	// Electrum is Debian's electrum package, run with Debian's python3 (a
	// python3 from elsewhere does not see Debian's modules).
	Electrum = Tool{Name: "electrum", Install: "make setup, or: apt-get install electrum", Paths: []string{"/usr/bin/electrum"}}
)

// PythonPlugin is what a plugin in Python needs (examples/python-plugin,
// sdk/python): Debian's python3 with the grpc, cryptography and protobuf
// modules.
var PythonPlugin = Tool{Name: "python3 with grpc, cryptography and google.protobuf",
	Install: "make setup, or: apt-get install python3-grpcio python3-cryptography python3-protobuf"}

// RequirePythonPlugin checks that /usr/bin/python3 imports the modules a
// Python plugin needs; when it does not, t fails under CI and is skipped
// otherwise.
func RequirePythonPlugin(t testing.TB) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import grpc, cryptography, google.protobuf").Run(); err != nil {
		missing(t, PythonPlugin, fmt.Errorf("%s: %w", PythonPlugin.Name, err))
	}
}

// CI reports whether the tests run under CI: CI set to anything but "",
// "0" or "false" (any case).
func CI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false":
		return false
	}
	return true
}

// Find returns the path of tool, or an error naming where it was looked for.
func Find(tool Tool) (string, error) {
	if len(tool.Paths) > 0 {
		for _, p := range tool.Paths {
			if isExec(p) {
				return p, nil
			}
		}
		return "", fmt.Errorf("%s not found at %s", tool.Name, strings.Join(tool.Paths, ", "))
	}
	return GoBinLookup(tool.Name)
}

// FindBtcd is Find(Btcd).
func FindBtcd() (string, error) { return Find(Btcd) }

// GoBinDirs are the directories `go install` may have put btcd and btcctl
// in: $HOME/go/bin, then each $(go env GOPATH)/bin.
func GoBinDirs() []string {
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if d := filepath.Join(p, "bin"); !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// SearchPath is $PATH with the GoBinDirs it lacks appended: the PATH to
// give a child process (amberd, a plugin) that must find the same tools.
func SearchPath() string {
	sep := string(filepath.ListSeparator)
	p := os.Getenv("PATH")
	for _, d := range GoBinDirs() {
		if !strings.Contains(sep+p+sep, sep+d+sep) {
			p += sep + d
		}
	}
	return p
}

// GoBinLookup finds name on PATH, then in the GoBinDirs.
func GoBinLookup(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range GoBinDirs() {
		if c := filepath.Join(d, name); isExec(c) {
			return c, nil
		}
	}
	return "", errors.New(name + " not found on PATH, in $HOME/go/bin or $(go env GOPATH)/bin")
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Require returns the path of tool for t. When the tool is missing, t
// fails under CI and is skipped otherwise (see the package doc).
func Require(t testing.TB, tool Tool) string {
	t.Helper()
	p, err := Find(tool)
	if err == nil {
		return p
	}
	missing(t, tool, err)
	return ""
}

// missing ends t for a missing tool: Fatalf under CI, Skipf otherwise.
func missing(t testing.TB, tool Tool, err error) {
	t.Helper()
	if CI() {
		t.Fatalf("%v; CI is set, so the %s tests must run (install: %s)", err, tool.Name, tool.Install)
		return
	}
	t.Skipf("skipping: %v (install: %s; with CI=true this is a failure)", err, tool.Install)
}

// RequireBtcd is Require(t, Btcd).
func RequireBtcd(t testing.TB) string {
	t.Helper()
	return Require(t, Btcd)
}
