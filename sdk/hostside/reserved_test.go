package hostside

import (
	"strings"
	"testing"
)

func TestCheckReserved(t *testing.T) {
	for _, tc := range []struct {
		method, ns string
	}{
		{"server.version", "server."},
		{"blockchain.transaction.bmm_merkle", ""}, // a plugin slot
		{"mempool.get_fee_histogram", "mempool."},
		{"hello.world", ""},
	} {
		err := CheckReserved("p", tc.method)
		switch {
		case tc.ns == "" && err != nil:
			t.Errorf("CheckReserved(%q) = %v, want nil", tc.method, err)
		case tc.ns != "" && (err == nil || !strings.Contains(err.Error(), `"p"`) || !strings.Contains(err.Error(), tc.method) || !strings.Contains(err.Error(), tc.ns)):
			t.Errorf("CheckReserved(%q) = %v, want an error naming the plugin, the method and %q", tc.method, err, tc.ns)
		}
	}
}
