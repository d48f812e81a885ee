package config

import (
	"errors"
	"testing"
)

// TestCheckRoot: root is refused unless allow_root is on, from whichever
// source; other users always pass.
func TestCheckRoot(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		environ []string
		args    []string
		euid    int
		refused bool
	}{
		{"root, nothing set", "", nil, nil, 0, true},
		{"user, nothing set", "", nil, nil, 1000, false},
		{"root, ALLOW_ROOT=1", "", []string{"ALLOW_ROOT=1"}, nil, 0, false},
		{"root, ALLOW_ROOT=0 is non-empty", "", []string{"ALLOW_ROOT=0"}, nil, 0, false},
		{"root, ALLOW_ROOT empty", "", []string{"ALLOW_ROOT="}, nil, 0, true},
		{"root, file allow_root: true", "allow_root: true\n", nil, nil, 0, false},
		{"root, file true but env off", "allow_root: true\n", []string{"AMBER_ALLOW_ROOT=false"}, nil, 0, true},
		{"root, flag", "", nil, []string{"--allow-root"}, 0, false},
		{"user, file false", "allow_root: false\n", nil, nil, 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, args := map[string]string{}, tc.args
			if tc.file != "" {
				files["/amber.yaml"] = tc.file
				args = append([]string{"--config", "/amber.yaml"}, args...)
			}
			c := mustLoad(t, files, append(append([]string(nil), required...), tc.environ...), args...)
			err := CheckRoot(c, tc.euid)
			if refused := errors.Is(err, ErrRoot); refused != tc.refused {
				t.Errorf("CheckRoot(euid %d, allow_root %v) = %v, want refused %v", tc.euid, c.AllowRoot, err, tc.refused)
			}
		})
	}
}
