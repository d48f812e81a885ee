package server

import (
	"context"
	"testing"

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

// candidate is a loaded plugin as adopt sees it.
type candidate struct {
	name string
	caps []string
	fees *fakeFees
}

func (c candidate) Name() string { return c.name }
func (c candidate) Describe() sdk.Description {
	return sdk.Description{Name: "feeest", Capabilities: c.caps}
}
func (c candidate) Fees() sdk.FeeEstimator { return c.fees }

// TestFeeRouteByCapability: fee estimates go to the plugin whose Describe
// lists the fee-estimator capability, whatever its config name; a plugin
// without it (even one declaring the feeest.* methods) leaves them with
// the chain backend.
func TestFeeRouteByCapability(t *testing.T) {
	roles := []string{sdk.CapMethodProvider, sdk.CapFeeEstimator}
	for _, tc := range []struct {
		name        string
		plugin      string
		caps        []string
		wantAdopted bool
	}{
		{"named feeest", "feeest", roles, true},
		{"renamed", "my-fees", roles, true},
		{"named bitcoind", "bitcoind", roles, true},
		{"fee role only", "x", []string{sdk.CapFeeEstimator}, true},
		{"methods only, named feeest", "feeest", []string{sdk.CapMethodProvider}, false},
		{"no capabilities", "feeest", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := sdktest.NewFake(3)
			chain.Fee, chain.Info.RelayFee = 0.0001, 0.00001
			r := &feeRoute{chain: chain}
			fees := &fakeFees{rate: 0.0042, relay: 0.0007}
			if got := r.adopt(candidate{tc.plugin, tc.caps, fees}); got != tc.wantAdopted {
				t.Fatalf("adopt = %v, want %v", got, tc.wantAdopted)
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

// TestFeeRouteRestart: a restarted fee plugin whose new binary no longer
// serves the role gives the estimates back to the chain backend; another
// plugin without the role does not take them away; an error of the fee
// plugin reaches the caller unchanged (no silent fallback).
func TestFeeRouteRestart(t *testing.T) {
	chain := sdktest.NewFake(3)
	chain.Fee = 0.0001
	r := &feeRoute{chain: chain}
	fees := &fakeFees{rate: 0.0042}
	r.adopt(candidate{"fees", []string{sdk.CapFeeEstimator}, fees})
	r.adopt(candidate{"history", []string{sdk.CapMethodProvider}, &fakeFees{}})
	if got, _ := r.EstimateFee(t.Context(), 1, ""); got != 0.0042 {
		t.Fatalf("after another plugin registered: %v, want the fee plugin's 0.0042", got)
	}
	if _, err := r.EstimateFee(t.Context(), 99, ""); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("fee plugin down: %v, want its unavailable error", err)
	}
	r.adopt(candidate{"fees", []string{sdk.CapMethodProvider}, fees})
	if got, _ := r.EstimateFee(t.Context(), 1, ""); got != 0.0001 {
		t.Errorf("after the role was dropped: %v, want the chain's 0.0001", got)
	}
}
