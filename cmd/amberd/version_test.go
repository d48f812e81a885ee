package main

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/amber-electrum/amber/core/server"
	"github.com/amber-electrum/amber/sdk"
)

func TestWantsVersion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false}, {[]string{"--version"}, true}, {[]string{"-version"}, true},
		{[]string{"--config", "x.yaml", "--version"}, true}, {[]string{"--", "--version"}, false},
		{[]string{"--versions"}, false},
	} {
		if got := wantsVersion(tc.args); got != tc.want {
			t.Errorf("wantsVersion(%q) = %v", tc.args, got)
		}
	}
}

func TestVersionText(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "a074d18f00112233445566778899aabbccddeeff"},
		{Key: "vcs.time", Value: "2026-12-07T02:00:00Z"}, {Key: "vcs.modified", Value: "true"}}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ld   string
		want []string
	}{
		{"ldflags win", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v9.9.9"}}, "0.1.1",
			[]string{"amberd 0.1.1\n", "go:              go1.26.0\n"}},
		{"go install version", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.2.0"}}, "",
			[]string{"amberd 0.2.0\n"}},
		{"devel falls back to the source", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "",
			[]string{"amberd " + server.Version + "\n", "commit:          a074d18f0011+dirty (2026-12-07T02:00:00Z)\n"}},
		{"no build info", nil, "", []string{"amberd " + server.Version + "\n", "go:              unknown\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionText(tc.info, tc.ld)
			for _, w := range append(tc.want,
				"plugin protocol: 1 (plugins built with SDK 1.x; this amberd's SDK is "+sdk.Version+")\n",
				"server.version:  "+server.SoftwareVersion+"\n") {
				if !strings.Contains(got, w) {
					t.Errorf("versionText missing %q:\n%s", w, got)
				}
			}
			if !strings.HasPrefix(got, "amberd ") {
				t.Errorf("first line: %q", got)
			}
		})
	}
}
