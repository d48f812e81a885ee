package config

import (
	"context"
	"errors"
	"testing"

	"github.com/spf13/afero"
)

// required is the minimum environment for a successful load.
var required = []string{"AMBER_DB_DIRECTORY=/db", "AMBER_DAEMON_URL=u:p@127.0.0.1:8332"}

// memFS returns an in-memory file system holding files.
func memFS(t testing.TB, files map[string]string) afero.Fs {
	t.Helper()
	fs := afero.NewMemMapFs()
	for name, body := range files {
		if err := afero.WriteFile(fs, name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

func load(t testing.TB, files map[string]string, env []string, args ...string) (*Config, error) {
	t.Helper()
	return Load(context.Background(), LoadOptions{Fs: memFS(t, files), Args: args, Environ: env})
}

func mustLoad(t testing.TB, files map[string]string, env []string, args ...string) *Config {
	t.Helper()
	c, err := load(t, files, env, args...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func keyError(t testing.TB, err error) *KeyError {
	t.Helper()
	var ke *KeyError
	if !errors.As(err, &ke) {
		t.Fatalf("error %v (%T) is not a *KeyError", err, err)
	}
	return ke
}
