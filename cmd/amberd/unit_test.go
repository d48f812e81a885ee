package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitDirectives reads a systemd unit into directive -> values.
func unitDirectives(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not a directive: %q", path, line)
		}
		out[k] = append(out[k], v)
	}
	return out
}

// TestSystemdUnitHardened: configs/amberd.service runs amberd with a
// config file as an unprivileged user that can write only its state
// directory, and, where systemd-analyze exists, systemd accepts it.
func TestSystemdUnitHardened(t *testing.T) {
	const unit = "../../configs/amberd.service"
	d := unitDirectives(t, unit)
	for k, want := range map[string]string{
		"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "PrivateDevices": "yes", "StateDirectory": "amber", "LimitNOFILE": "65536",
		"CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
		"MemoryDenyWriteExecute": "yes", "RestrictSUIDSGID": "yes", "KillMode": "mixed", "Restart": "on-failure",
	} {
		if got := d[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	exec0 := d["ExecStart"]
	if len(exec0) != 1 || !strings.HasSuffix(strings.Fields(exec0[0])[0], "/amberd") || !strings.Contains(exec0[0], "--config ") {
		t.Errorf("ExecStart=%q, want amberd --config FILE", exec0)
	}
	if env := strings.Join(d["Environment"], " "); !strings.Contains(env, "AMBER_DB_DIRECTORY=/var/lib/amber") {
		t.Errorf("Environment %q: db_directory must be the StateDirectory", env)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: only the directives were checked")
		return
	}
	raw, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	// verify needs ExecStart's binary to exist.
	tmp := filepath.Join(t.TempDir(), "amberd.service")
	if err := os.WriteFile(tmp, []byte(strings.Replace(string(raw), "/usr/local/bin/amberd", "/bin/true", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", tmp).CombinedOutput()
	if err != nil || strings.Contains(string(out), "amberd.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
