package pluginhost

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk/hostside"
)

// TestRefusalsNameTheCause: a magic-cookie mismatch is named as such with
// amberd's cookie and the plugin's (when it reports it) and without
// go-plugin's "This binary is a plugin" text; checksum and protocol
// refusals name the config key to fix.
func TestRefusalsNameTheCause(t *testing.T) {
	tests := []struct {
		name   string
		spec   func(Spec) Spec
		want   []string
		absent []string
	}{
		{"cookie mismatch", func(s Spec) Spec { s.Env = []string{helperEnv + "=cookie"}; return s },
			[]string{`plugin "bitcoind": magic cookie mismatch`, hostside.MagicCookieKey + "=" + hostside.MagicCookieValue,
				"expects not reported by the plugin", "plugins.bitcoind.path"},
			[]string{"This binary is a plugin", "exited before the handshake"}},
		{"cookie mismatch reported", func(s Spec) Spec { s.Env = []string{helperEnv + "=cookiereport"}; return s },
			[]string{"magic cookie mismatch", hostside.MagicCookieValue, "expects " + hostside.MagicCookieKey + "=other-cookie"},
			[]string{"This binary is a plugin"}},
		{"checksum", func(s Spec) Spec { s.SHA256 = strings.Repeat("ab", 32); return s },
			[]string{"checksum mismatch", "config key plugins.bitcoind.sha256"}, nil},
		{"protocol version", func(s Spec) Spec {
			s.Env = []string{helperEnv + "=v99"}
			s.ConfigKey = "plugins.bitcoind.path"
			return s
		}, []string{"incompatible plugin protocol", "speaks version 99", "against SDK 1.x or point plugins.bitcoind.path at a matching build"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			p, err := Launch(ctx, tt.spec(helperSpec(t, "serve")))
			if err == nil {
				p.Kill()
				t.Fatal("Launch succeeded")
			}
			if !isRefusal(err) {
				t.Errorf("%v is not a refusal (a restart would retry it)", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(err.Error(), a) {
					t.Errorf("error %q\ncontains %q", err, a)
				}
			}
		})
	}
}
