package hostsvc

import (
	"context"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// TestBalance: Balance answers the index's get_balance figures for the
// script hash (a mempool spend of a confirmed output gives a negative
// unconfirmed), also to a plugin through the broker, and an index error is
// an internal error.
func TestBalance(t *testing.T) {
	ix := newFakeIndex(3)
	sh := sdk.ScriptHashOf([]byte{0x51})
	ix.balances[hashX(sh)] = [2]int64{5000, -5000}
	srv := New(Options{Index: ix})
	defer srv.Close()
	for _, tc := range []struct {
		sh   sdk.Hash
		want sdk.Balance
	}{
		{sh, sdk.Balance{Confirmed: 5000, Unconfirmed: -5000}},
		{sdk.ScriptHashOf([]byte{0x52}), sdk.Balance{}},
	} {
		got, err := srv.Balance(t.Context(), tc.sh)
		if err != nil || got != tc.want {
			t.Errorf("Balance(%s) = %+v, %v; want %+v", tc.sh, got, err, tc.want)
		}
	}

	// Through go-plugin's broker, as a plugin sees it.
	h, _ := wireHost(t, srv)
	got, err := h.(sdk.BalanceHost).Balance(ctx10(t), sh)
	if err != nil || got != (sdk.Balance{Confirmed: 5000, Unconfirmed: -5000}) {
		t.Errorf("Balance through the broker = %+v, %v", got, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := srv.Balance(ctx, sh); sdk.KindOf(err) != sdk.KindInternal {
		t.Errorf("Balance on a failing index: %v, want internal", err)
	}
}
