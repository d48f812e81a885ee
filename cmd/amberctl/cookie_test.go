package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCookiePath(t *testing.T) {
	for _, tc := range []struct {
		flag     string
		env      map[string]string
		want     string
		explicit bool
	}{
		{"/x/c", map[string]string{"DB_DIRECTORY": "/db"}, "/x/c", true},
		{"", map[string]string{"AMBER_RPC_COOKIE_FILE": "/run/a.cookie", "DB_DIRECTORY": "/db"}, "/run/a.cookie", true},
		{"", map[string]string{"AMBER_RPC_COOKIE_FILE": "auth/c", "DB_DIRECTORY": "/db"}, "/db/auth/c", true},
		{"", map[string]string{"AMBER_DB_DIRECTORY": "/adb", "DB_DIRECTORY": "/db"}, "/adb/rpc.cookie", false},
		{"", map[string]string{"DB_DIRECTORY": "/db"}, "/db/rpc.cookie", false},
		{"", nil, "", false},
	} {
		got, explicit := cookiePath(tc.flag, func(k string) string { return tc.env[k] })
		if got != tc.want || explicit != tc.explicit {
			t.Errorf("cookiePath(%q, %v) = %q %v, want %q %v", tc.flag, tc.env, got, explicit, tc.want, tc.explicit)
		}
	}
}

// TestClientSendsCookie: amberctl finds the cookie amberd wrote in its
// db directory and sends it in every request; a named cookie file that
// cannot be read is an error; no cookie file at the default place means no
// auth member.
func TestClientSendsCookie(t *testing.T) {
	f := startFakeAdmin(t, map[string]string{"getinfo": `"result":{}`})
	dir := t.TempDir()
	const cookie = "c0ffee"
	if err := os.WriteFile(filepath.Join(dir, "rpc.cookie"), []byte(cookie+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		wantAuth any
	}{
		{"default from DB_DIRECTORY", []string{"-p", f.port(), "getinfo"}, map[string]string{"DB_DIRECTORY": dir}, 0, cookie},
		{"--cookie", []string{"-p", f.port(), "--cookie", filepath.Join(dir, "rpc.cookie"), "getinfo"}, nil, 0, cookie},
		{"no cookie file", []string{"-p", f.port(), "getinfo"}, map[string]string{"DB_DIRECTORY": t.TempDir()}, 0, nil},
		{"named file missing", []string{"-p", f.port(), "--cookie", filepath.Join(dir, "nope"), "getinfo"}, nil, 1, nil},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, &out, &errb)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, errb.String())
		}
		if tc.code != 0 {
			if !strings.Contains(errb.String(), "admin cookie") {
				t.Errorf("%s: stderr %q", tc.name, errb.String())
			}
			continue
		}
		req := <-f.got
		if req["auth"] != tc.wantAuth {
			t.Errorf("%s: auth member %v, want %v", tc.name, req["auth"], tc.wantAuth)
		}
	}
}
