package estimator

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// wired serves p through the SDK's wire and configures it with config.
func wired(t *testing.T, p *Plugin, config string) sdk.MethodProvider {
	t.Helper()
	c := sdktest.NewMethods(t, p)
	if err := c.Configure(ctx(t), []byte(config)); err != nil {
		t.Fatalf("Configure(%s): %v", config, err)
	}
	return c
}

func call(t *testing.T, c sdk.MethodProvider, method, params string) (string, error) {
	t.Helper()
	res, err := c.Call(ctx(t), method, json.RawMessage(params), sdk.SessionInfo{})
	return string(res), err
}

// busyFees: 400k vB at each of 50, 20 and 10 sat/vB.
func busyFees() *fakeFees {
	return &fakeFees{
		bins:  []sdk.FeeBin{{Rate: 50, VSize: 400_000}, {Rate: 20, VSize: 400_000}, {Rate: 10, VSize: 400_000}},
		stats: sdk.MempoolStats{Txs: 3000, Bytes: 2_000_000},
	}
}

func TestConform(t *testing.T) {
	p := New(nil)
	p.SetHost(serveFees(t, busyFees()))
	sdktest.ConformMethods(t, wired(t, p, `{"source":"mempool"}`))
}

// TestMempoolSource answers from the fee host over gRPC.
func TestMempoolSource(t *testing.T) {
	fees := busyFees()
	p := New(nil)
	p.SetHost(serveFees(t, fees))
	c := wired(t, p, `{"source":"mempool","relay_fee":0.00002,"conservative_margin":1.5}`)
	if p.Source() != SourceMempool {
		t.Fatalf("source %q", p.Source())
	}
	for _, tc := range []struct{ method, params, want string }{
		{MethodEstimateFee, `[1]`, "0.0001"},
		{MethodEstimateFee, `[1, null]`, "0.0001"},
		{MethodEstimateFee, `[1, "ECONOMICAL"]`, "0.0001"},
		{MethodEstimateFee, `[1, "CONSERVATIVE"]`, "0.00015"},
		{MethodEstimateFee, `[0]`, "0.0001"},   // target 0 is 1
		{MethodEstimateFee, `["1"]`, "0.0001"}, // a string of digits, as in the core
		{MethodEstimateFee, `[2]`, "0.00002"},  // everything fits: the relay fee
		{MethodRelayFee, `[]`, "0.00002"},
	} {
		if got, err := call(t, c, tc.method, tc.params); err != nil || got != tc.want {
			t.Errorf("%s%s = %s, %v; want %s", tc.method, tc.params, got, err, tc.want)
		}
	}
	fees.mu.Lock()
	fees.stats = sdk.MempoolStats{}
	fees.mu.Unlock()
	if got, err := call(t, c, MethodEstimateFee, `[1]`); err != nil || got != "-1" {
		t.Errorf("empty mempool: %s, %v; want -1", got, err)
	}
	fees.mu.Lock()
	fees.err = sdk.Errorf(sdk.KindUnavailable, "index going away")
	fees.mu.Unlock()
	if _, err := call(t, c, MethodEstimateFee, `[1]`); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("fee host failure: %v, want unavailable", err)
	}
}

func TestBadParams(t *testing.T) {
	p := New(nil)
	p.SetHost(serveFees(t, busyFees()))
	c := wired(t, p, `{"source":"mempool"}`)
	for params, msg := range map[string]string{
		`[-1]`:                "-1 should be a non-negative integer",
		`[1.5]`:               "1.5 should be a non-negative integer",
		`["x"]`:               "x should be a non-negative integer",
		`[null]`:              "None should be a non-negative integer",
		`[true]`:              "True should be a non-negative integer",
		`[2, "conservative"]`: "unknown estimatefee mode: conservative",
		`[2, 7]`:              "unknown estimatefee mode: 7",
		`[2, "UNSET"]`:        "unknown estimatefee mode: UNSET",
	} {
		_, err := call(t, c, MethodEstimateFee, params)
		se, ok := err.(*sdk.Error)
		if !ok || se.Kind != sdk.KindInvalidArgument || se.Message != msg {
			t.Errorf("estimatefee%s: %v, want invalid argument %q", params, err, msg)
		}
	}
}

func TestMempoolWithoutFeeHost(t *testing.T) {
	c := wired(t, New(nil), `{}`)
	if _, err := call(t, c, MethodEstimateFee, `[2]`); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("without the fee host: %v, want unavailable", err)
	}
	if got, err := call(t, c, MethodRelayFee, `[]`); err != nil || got != "0.00001" {
		t.Errorf("relayfee = %s, %v; want the default 0.00001", got, err)
	}
}

func TestNotConfigured(t *testing.T) {
	c := sdktest.NewMethods(t, New(nil))
	for method, params := range map[string]string{MethodEstimateFee: `[1]`, MethodRelayFee: `[]`} {
		if _, err := call(t, c, method, params); sdk.KindOf(err) != sdk.KindUnavailable {
			t.Errorf("%s before Configure: %v, want unavailable", method, err)
		}
	}
}

// TestDaemonSource: estimatesmartfee with the mode, and the daemon's relay
// fee, from a Core-like fake daemon.
func TestDaemonSource(t *testing.T) {
	d := &fakeDaemon{smart: true, feerate: 0.00031, relayFee: 0.00002}
	url := d.start(t)
	for _, source := range []string{SourceDaemon, SourceAuto} {
		t.Run(source, func(t *testing.T) {
			p := New(nil)
			c := wired(t, p, fmt.Sprintf(`{"source":%q,"daemon_url":%q,"network":"regtest"}`, source, url))
			if p.Source() != SourceDaemon {
				t.Fatalf("source %q, want daemon", p.Source())
			}
			if got, err := call(t, c, MethodEstimateFee, `[6, "ECONOMICAL"]`); err != nil || got != "0.00031" {
				t.Errorf("estimatefee = %s, %v; want 0.00031", got, err)
			}
			if got, err := call(t, c, MethodRelayFee, `[]`); err != nil || got != "0.00002" {
				t.Errorf("relayfee = %s, %v; want 0.00002", got, err)
			}
		})
	}
	if got := d.called(`estimatesmartfee [6,"ECONOMICAL"]`); len(got) != 2 {
		t.Errorf("estimatesmartfee with the mode called %d times, want 2 (%v)", len(got), d.called("estimatesmartfee"))
	}
	d.feerate = nil // no estimate (read only by the handler, after this)
	p := New(nil)
	c := wired(t, p, fmt.Sprintf(`{"source":"daemon","daemon_url":%q}`, url))
	if got, err := call(t, c, MethodEstimateFee, `[2000]`); err != nil || got != "-1" {
		t.Errorf("estimatefee without a daemon estimate = %s, %v; want -1", got, err)
	}
	if got := d.called(`estimatesmartfee [1008]`); len(got) != 1 {
		t.Errorf("target 2000 not clamped to 1008: %v", d.called("estimatesmartfee"))
	}
}

// TestAutoWithoutSmartFee: a btcd-like daemon (estimatefee only) makes auto
// pick the mempool, with the daemon's relay fee (getinfo) as the floor;
// source daemon uses its estimatefee.
func TestAutoWithoutSmartFee(t *testing.T) {
	d := &fakeDaemon{legacy: 0.00042, relayFee: 0.0003}
	url := d.start(t)
	p := New(nil)
	p.SetHost(serveFees(t, busyFees()))
	c := wired(t, p, fmt.Sprintf(`{"daemon_url":%q}`, url))
	if p.Source() != SourceMempool {
		t.Fatalf("source %q, want mempool", p.Source())
	}
	// The histogram says 10 sat/vB = 0.0001, below the daemon's 0.0003.
	if got, err := call(t, c, MethodEstimateFee, `[1]`); err != nil || got != "0.0003" {
		t.Errorf("estimatefee = %s, %v; want the relay floor 0.0003", got, err)
	}
	if got, err := call(t, c, MethodRelayFee, `[]`); err != nil || got != "0.0003" {
		t.Errorf("relayfee = %s, %v; want 0.0003 from getinfo", got, err)
	}

	p2 := New(nil)
	c2 := wired(t, p2, fmt.Sprintf(`{"source":"daemon","daemon_url":%q}`, url))
	if got, err := call(t, c2, MethodEstimateFee, `[3]`); err != nil || got != "0.00042" {
		t.Errorf("daemon estimatefee = %s, %v; want 0.00042", got, err)
	}
	if len(d.called("estimatefee [3]")) != 1 {
		t.Errorf("estimatefee 3 not called: %v", d.called("estimatefee"))
	}
}
