package sdk

import "testing"

func TestCheckReserved(t *testing.T) {
	for _, tc := range []struct {
		method, ns string
	}{
		{"server.version", "server."},
		{"server.nonexistent", "server."},
		{"blockchain.scripthash.get_balance", "blockchain."},
		{"blockchain.transaction.bmm_merkle", ""}, // a plugin slot
		{"blockchain.transaction.bmm_merkle2", "blockchain."},
		{"mempool.get_fee_histogram", "mempool."},
		{"hello.world", ""},
		{"servers.list", ""},
		{"x.server.version", ""},
	} {
		if got := ReservedNamespace(tc.method); got != tc.ns {
			t.Errorf("ReservedNamespace(%q) = %q, want %q", tc.method, got, tc.ns)
		}
		err := CheckReserved("p", tc.method)
		if (err != nil) != (tc.ns != "") {
			t.Errorf("CheckReserved(%q) = %v, want an error: %v", tc.method, err, tc.ns != "")
		}
	}
}
