package sdk

import "testing"

func TestReservedNamespace(t *testing.T) {
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
		if got := IsReserved(tc.method); got != (tc.ns != "") {
			t.Errorf("IsReserved(%q) = %v, want %v", tc.method, got, tc.ns != "")
		}
	}
}

// TestReservedListsAreCopies: changing what ReservedNamespaces or
// PluginSlots returned changes nothing the SDK (or amberd) checks.
func TestReservedListsAreCopies(t *testing.T) {
	ns, slots := ReservedNamespaces(), PluginSlots()
	if len(ns) == 0 || len(slots) == 0 {
		t.Fatalf("ReservedNamespaces() = %q, PluginSlots() = %q: want both non-empty", ns, slots)
	}
	for i := range ns {
		ns[i] = "hello."
	}
	slots[0] = "x.y"
	if !IsReserved("server.version") || IsReserved("hello.world") {
		t.Error("changing the returned namespaces changed IsReserved")
	}
	if IsReserved("blockchain.transaction.bmm_merkle") {
		t.Error("changing the returned slots changed IsReserved")
	}
	if got := ReservedNamespaces(); got[0] == "hello." {
		t.Errorf("ReservedNamespaces() = %q after changing an earlier result", got)
	}
}
