package electrum

import (
	"slices"
	"testing"
)

func TestMethodNamesCoverEveryVersion(t *testing.T) {
	names := MethodNames()
	if !slices.IsSorted(names) {
		t.Error("MethodNames is not sorted")
	}
	for _, want := range []string{
		"server.version", "blockchain.relayfee", // 1.4 only
		"blockchain.scripthash.unsubscribe",        // 1.4.2+
		"blockchain.transaction.broadcast_package", // 1.6
		"blockchain.address.get_history",           // removed in 1.3/1.4: still reserved
	} {
		if _, ok := slices.BinarySearch(names, want); !ok {
			t.Errorf("MethodNames lacks %q", want)
		}
	}
	if _, ok := slices.BinarySearch(names, "hello.world"); ok {
		t.Error("MethodNames lists a plugin method")
	}
}
