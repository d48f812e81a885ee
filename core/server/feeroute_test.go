package server

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/amber-electrum/amber/core/internal/config"
	"github.com/amber-electrum/amber/core/internal/pluginhost"
	"github.com/amber-electrum/amber/core/internal/roles"
	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// fakeFees is a fee estimator with fixed answers that records its calls.
type fakeFees struct {
	sdk.BasicPlugin
	rate, relay float64
	calls       []string
}

func (f *fakeFees) FeeRate(_ context.Context, blocks int, mode string) (float64, error) {
	f.calls = append(f.calls, "FeeRate")
	if blocks == 99 {
		return 0, sdk.Errorf(sdk.KindUnavailable, "plugin %q is not running", "x")
	}
	return f.rate, nil
}

func (f *fakeFees) MinRelayFee(context.Context) (float64, error) {
	f.calls = append(f.calls, "MinRelayFee")
	return f.relay, nil
}

// TestFeeRouteByCapability: fee estimates go to the plugin that
// roles.Assign gives the fee-estimator role (its Describe lists
// sdk.CapFeeEstimator), whatever its config name; a plugin without it
// (even one named feeest) leaves them with the chain backend; a plugin
// with no role capability at all stops start-up.
func TestFeeRouteByCapability(t *testing.T) {
	both := []string{sdk.CapMethodProvider, sdk.CapFeeEstimator}
	for _, tc := range []struct {
		name        string
		plugin      string
		caps        []string
		wantAdopted bool
		wantRefused bool
	}{
		{"named feeest", "feeest", both, true, false},
		{"renamed", "my-fees", both, true, false},
		{"named bitcoind", "bitcoind", both, true, false},
		{"fee role only", "x", []string{sdk.CapFeeEstimator}, true, false},
		{"methods only, named feeest", "feeest", []string{sdk.CapMethodProvider}, false, false},
		{"no capabilities", "feeest", nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as, err := roles.Assign(roles.Table, []roles.Plugin{
				{Name: "daemon", Path: "/bin/daemon", Capabilities: []string{sdk.CapChainBackend}},
				{Name: tc.plugin, Path: "/bin/plugin", Capabilities: tc.caps},
			})
			if (err != nil) != tc.wantRefused {
				t.Fatalf("roles.Assign: %v, want refused %v", err, tc.wantRefused)
			}
			if err != nil {
				return
			}
			chain := sdktest.NewFake(3)
			chain.Fee, chain.Info.RelayFee = 0.0001, 0.00001
			r := &feeRoute{chain: chain}
			fees := &fakeFees{rate: 0.0042, relay: 0.0007}
			got := r.route(as, func(name string) sdk.FeeEstimator {
				if name != tc.plugin {
					t.Errorf("fee adapter asked for %q, want %q", name, tc.plugin)
				}
				return fees
			})
			if want := map[bool]string{true: tc.plugin}[tc.wantAdopted]; got != want {
				t.Fatalf("route = %q, want %q", got, want)
			}
			wantRate, wantRelay := chain.Fee, chain.Info.RelayFee
			if tc.wantAdopted {
				wantRate, wantRelay = fees.rate, fees.relay
			}
			if got, err := r.EstimateFee(t.Context(), 2, "ECONOMICAL"); err != nil || got != wantRate {
				t.Errorf("EstimateFee = %v, %v; want %v", got, err, wantRate)
			}
			if got, err := r.RelayFee(t.Context()); err != nil || got != wantRelay {
				t.Errorf("RelayFee = %v, %v; want %v", got, err, wantRelay)
			}
			if wantCalls := map[bool]int{true: 2, false: 0}[tc.wantAdopted]; len(fees.calls) != wantCalls {
				t.Errorf("fee plugin calls %v, want %d", fees.calls, wantCalls)
			}
		})
	}
}

// TestFeeRouteRestart, over real helper plugins: the core's fee estimates
// come from the fee-estimator plugin through its typed role adapter, which
// follows a restart; a restarted binary that no longer serves the role is
// refused (it may not drop a role), and while it is down the estimates
// come from the chain backend.
func TestFeeRouteRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "role")
	setRole := func(role string) {
		if err := os.WriteFile(file, []byte(role), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setRole("fees")
	s := testServer(t, map[string]*config.Plugin{
		"mydaemon":  helperBlock(t, "mydaemon", "chain"),
		"estimator": helperBlock(t, "estimator", "fees:"+file),
	})
	startAll(t, s)
	if got := s.roster.roles.Label("estimator"); got != "fees,methods" {
		t.Fatalf("estimator roles %q, want fees,methods", got)
	}
	check := func(when string) {
		t.Helper()
		if got, err := s.daemon.EstimateFee(ctx30(t), 2, ""); err != nil || got != helperFeeRate {
			t.Errorf("%s: EstimateFee = %v, %v; want the plugin's %v", when, got, err, helperFeeRate)
		}
		if got, err := s.daemon.RelayFee(ctx30(t)); err != nil || got != helperRelayFee {
			t.Errorf("%s: RelayFee = %v, %v; want the plugin's %v", when, got, err, helperRelayFee)
		}
	}
	check("at start-up")

	est := s.roster.byName("estimator")
	if err := syscall.Kill(est.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fee plugin to restart", func() bool {
		return est.Restarts() == 1 && est.State() == pluginhost.StateRunning
	})
	check("after a restart")

	setRole("methods")
	if err := syscall.Kill(est.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-est.Done()
	if est.State() != pluginhost.StateFailed {
		t.Fatalf("a restart without the fee-estimator role: state %s, want failed", est.State())
	}
	if _, err := roles.FeeEstimator(est).FeeRate(ctx30(t), 2, ""); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Fatalf("fee plugin refused: its adapter says %v, want its not-running error", err)
	}
	wantRate, err := s.roster.chain.EstimateFee(ctx30(t), 2, "")
	if err != nil {
		t.Fatal(err)
	}
	wantRelay, err := s.roster.chain.RelayFee(ctx30(t))
	if err != nil {
		t.Fatal(err)
	}
	if wantRate == helperFeeRate || wantRelay == helperRelayFee {
		t.Fatalf("the chain backend's fees (%v, %v) equal the plugin's: the test cannot tell them apart", wantRate, wantRelay)
	}
	if got, err := s.daemon.EstimateFee(ctx30(t), 2, ""); err != nil || got != wantRate {
		t.Errorf("fee plugin down: EstimateFee = %v, %v; want the chain backend's %v", got, err, wantRate)
	}
	if got, err := s.daemon.RelayFee(ctx30(t)); err != nil || got != wantRelay {
		t.Errorf("fee plugin down: RelayFee = %v, %v; want the chain backend's %v", got, err, wantRelay)
	}
}
