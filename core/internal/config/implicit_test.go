package config

import "testing"

// The plugins.bitcoind block exists after every Load; it is Implicit only
// when no source declared one of its keys, so that amberd can tell the
// operator's own block from the bundled default.
func TestDaemonPluginImplicit(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		env   []string
		args  []string
		want  bool
	}{
		{"nothing declared", nil, nil, nil, true},
		{"another block only", map[string]string{"/f.yaml": "plugins:\n  mydaemon:\n    path: /x/amber-bitcoind\n"}, nil,
			[]string{"--config=/f.yaml"}, true},
		{"path in the file", map[string]string{"/f.yaml": "plugins:\n  bitcoind:\n    path: /x/amber-bitcoind\n"}, nil,
			[]string{"--config=/f.yaml"}, false},
		{"an empty block in the file", map[string]string{"/f.yaml": "plugins:\n  bitcoind: {}\n"}, nil,
			[]string{"--config=/f.yaml"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.files, append(tt.env, required...), tt.args...)
			p := c.Plugins[DaemonPlugin]
			if p == nil {
				t.Fatal("no plugins.bitcoind block")
			}
			if p.Implicit != tt.want {
				t.Fatalf("Implicit = %v, want %v", p.Implicit, tt.want)
			}
		})
	}
}
