package server

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"testing"

	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/electrum"
	"github.com/amber-electrum/amber/core/internal/session"
)

// TestCostGroupsOfPrivateAddresses: the client sessions' cost groups as
// amberd configures them (costsOf): loopback and private addresses get
// subnet groups only with session_limits_private (Tor arrives on
// loopback); public addresses always do.
func TestCostGroupsOfPrivateAddresses(t *testing.T) {
	tests := []struct {
		name    string
		private bool
		addr    string
		want    []string
	}{
		{"loopback, default", false, "127.0.0.1", []string{"t0"}},
		{"loopback, session_limits_private", true, "127.0.0.1", []string{"127.0.0.0/24", "t0"}},
		{"rfc1918, session_limits_private", true, "10.20.30.40", []string{"10.20.30.0/24", "t0"}},
		{"ipv6 loopback, session_limits_private", true, "::1", []string{"::/48", "t0"}},
		{"public, default", false, "81.2.69.142", []string{"81.2.69.0/24", "t0"}},
		{"public, session_limits_private", true, "81.2.69.142", []string{"81.2.69.0/24", "t0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{SessionGroupBySubnetIPv4: 24, SessionGroupBySubnetIPv6: 48,
				CostHardLimit: 10000, SessionLimitsPrivate: tt.private}
			mgr := session.NewManagerWith(slog.New(slog.DiscardHandler), session.Options{Costs: costsOf(cfg)})
			disp := electrum.New(electrum.Options{})
			ctx, cancel := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			c := newIdleConn(tt.addr)
			wg.Add(1)
			go func() { defer wg.Done(); mgr.Serve(ctx, c, disp, session.Profile{Capped: true}) }()
			t.Cleanup(func() { c.Close(); cancel(); wg.Wait() })
			waitFor(t, "the session to open", func() bool { return mgr.Count() == 1 })
			got := mgr.Sessions()[0].Groups()
			// The time slice's name depends on when the manager started.
			if len(got) > 0 {
				got[len(got)-1] = "t0"
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("groups of %s: %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
