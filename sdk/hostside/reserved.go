package hostside

import (
	"fmt"

	"github.com/amber-electrum/amber/sdk"
)

// CheckReserved returns the error amberd refuses plugin with at start-up
// when it declares method in a reserved namespace (sdk.ReservedNamespace),
// nil otherwise. plugin is the plugin's name as amberd knows it (its key
// under plugins: in the config). sdktest shows plugin authors the same
// message.
func CheckReserved(plugin, method string) error {
	if ns := sdk.ReservedNamespace(method); ns != "" {
		return fmt.Errorf("plugin %q declares method %q in the core's reserved namespace %q", plugin, method, ns)
	}
	return nil
}
