package sdktest_test

import (
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// TestHostBalanceThroughBroker: the Host a plugin receives in Configure
// (over go-plugin's broker) offers Balance with the host's answer,
// negative unconfirmed included.
func TestHostBalanceThroughBroker(t *testing.T) {
	host := sdktest.NewFakeHost(2)
	sh := sdk.ScriptHashOf([]byte{0x51})
	host.Balances[sh] = sdk.Balance{Confirmed: 12_000, Unconfirmed: -2_500}
	p := newTestPlugin()
	h := hostOf(t, p, host)
	got, err := h.(sdk.BalanceHost).Balance(ctx10(t), sh)
	if err != nil || got != (sdk.Balance{Confirmed: 12_000, Unconfirmed: -2_500}) {
		t.Errorf("Balance through the broker = %+v, %v", got, err)
	}
	host.Lock()
	defer host.Unlock()
	if n := len(host.Calls); n == 0 || host.Calls[n-1] != "Balance" {
		t.Errorf("host calls %q, want Balance last", host.Calls)
	}
}
