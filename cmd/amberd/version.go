package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/amber-electrum/amber/core/server"
	"github.com/amber-electrum/amber/sdk"
)

// version is set at link time for release builds:
//
//	go build -ldflags "-X main.version=0.1.1" ./cmd/amberd
//
// (make build VERSION=0.1.1). Empty means: the module version from the
// build information when amberd was built by `go install …@vX.Y.Z`, else
// the source's server.Version.
var version string

// wantsVersion reports whether the command line asks for --version (before
// a "--" that ends the flags).
func wantsVersion(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--version", "-version":
			return true
		}
	}
	return false
}

// versionText is what `amberd --version` prints: amberd's version, the
// commit it was built from (with "+dirty" for uncommitted changes), the
// plugin protocol version and SDK release it speaks, and the Go toolchain.
func versionText(info *debug.BuildInfo, ldVersion string) string {
	v := ldVersion
	if v == "" && info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = strings.TrimPrefix(info.Main.Version, "v")
	}
	if v == "" {
		v = server.Version
	}
	var b strings.Builder
	fmt.Fprintf(&b, "amberd %s\n", v)
	goVersion, commit := "unknown", ""
	if info != nil {
		goVersion = info.GoVersion
		var rev, at string
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			commit = rev[:min(12, len(rev))]
			if dirty {
				commit += "+dirty"
			}
			if at != "" {
				commit += " (" + at + ")"
			}
		}
	}
	if commit != "" {
		fmt.Fprintf(&b, "commit:          %s\n", commit)
	}
	fmt.Fprintf(&b, "plugin protocol: %d (plugins built with SDK %d.x; this amberd's SDK is %s)\n",
		sdk.ProtocolVersion, sdk.ProtocolVersion, sdk.Version)
	fmt.Fprintf(&b, "server.version:  %s\n", server.SoftwareVersion)
	fmt.Fprintf(&b, "go:              %s\n", goVersion)
	return b.String()
}
