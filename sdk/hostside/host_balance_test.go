package hostside_test

import (
	"context"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/sdktest"
)

// hostClient serves impl as amberd does and returns the plugin side's Host.
func hostClient(t *testing.T, impl sdk.Host) sdk.Host { return sdktest.WireHost(t, impl) }

// onlyHost hides every method but sdk.Host's: a host from before the
// Balance service.
type onlyHost struct{ sdk.Host }

// failingBalance answers Balance with an error.
type failingBalance struct {
	sdk.Host
	err error
}

func (f failingBalance) Balance(context.Context, sdk.Hash) (sdk.Balance, error) {
	return sdk.Balance{}, f.err
}

func TestBalanceWire(t *testing.T) {
	host := sdktest.NewFakeHost(3)
	spentInMempool := sdk.ScriptHashOf([]byte{0x51})
	fromUTXOs := sdk.ScriptHashOf([]byte{0x52})
	host.Balances[spentInMempool] = sdk.Balance{Confirmed: 5000, Unconfirmed: -5000}
	host.UTXOs[fromUTXOs] = []sdk.UTXO{{Height: 1, Value: 700}, {Height: 2, Value: 300}, {Height: 0, Value: 40}}

	c := hostClient(t, host)
	for _, tc := range []struct {
		sh   sdk.Hash
		want sdk.Balance
	}{
		{spentInMempool, sdk.Balance{Confirmed: 5000, Unconfirmed: -5000}},
		{fromUTXOs, sdk.Balance{Confirmed: 1000, Unconfirmed: 40}},
		{sdk.ScriptHashOf([]byte{0x53}), sdk.Balance{}},
	} {
		got, err := c.(sdk.BalanceHost).Balance(t.Context(), tc.sh)
		if err != nil || got != tc.want {
			t.Errorf("Balance(%s) = %+v, %v; want %+v", tc.sh, got, err, tc.want)
		}
	}

	old := hostClient(t, onlyHost{host})
	if _, err := old.(sdk.BalanceHost).Balance(t.Context(), fromUTXOs); sdk.KindOf(err) != sdk.KindUnimplemented {
		t.Errorf("Balance from a host without the service: %v, want unimplemented", err)
	}
	if _, ok := sdk.Host(onlyHost{host}).(sdk.BalanceHost); ok {
		t.Fatal("onlyHost must hide the Balance service")
	}
	failing := hostClient(t, failingBalance{Host: host, err: sdk.Errorf(sdk.KindUnavailable, "index closing")})
	if _, err := failing.(sdk.BalanceHost).Balance(t.Context(), fromUTXOs); sdk.KindOf(err) != sdk.KindUnavailable {
		t.Errorf("host error: %v, want unavailable", err)
	}
}
