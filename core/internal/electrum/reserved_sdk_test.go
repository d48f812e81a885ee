package electrum

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/amber-electrum/amber/sdk"
	"github.com/amber-electrum/amber/sdk/hostside"
)

// TestPluginSlotServedByMatchesSDK: PluginSlotServedBy describes exactly
// the SDK's plugin slots, so docs/methods.md lists every slot and no other
// name.
func TestPluginSlotServedByMatchesSDK(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(PluginSlotServedBy)), slices.Sorted(slices.Values(sdk.PluginSlots())); !slices.Equal(got, want) {
		t.Errorf("PluginSlotServedBy describes %q, sdk.PluginSlots() = %q", got, want)
	}
	for name, by := range PluginSlotServedBy {
		if by == "" {
			t.Errorf("%s: empty description", name)
		}
	}
}

// TestRegisterMatchesSDKReserved: Register refuses a method in one of the SDK's
// reserved namespaces with hostside.CheckReserved's message (which sdktest shows
// plugin authors) and accepts the plugin slots and names outside them.
func TestRegisterMatchesSDKReserved(t *testing.T) {
	names := []string{"hello.world", "servers.list", "x.server.version", "blockchain.transaction.bmm_merkle2"}
	for _, ns := range sdk.ReservedNamespaces() {
		names = append(names, ns+"anything")
	}
	names = append(names, sdk.PluginSlots()...)
	call := func(context.Context, string, json.RawMessage, sdk.SessionInfo) (any, error) { return nil, nil }
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			err := newRegistry().Register("myplugin", []sdk.MethodSpec{{Name: name}}, call)
			sdkErr := hostside.CheckReserved("myplugin", name)
			switch {
			case (err == nil) != !sdk.IsReserved(name):
				t.Errorf("Register: %v; sdk.IsReserved: %v", err, sdk.IsReserved(name))
			case err != nil && (sdkErr == nil || err.Error() != sdkErr.Error()):
				t.Errorf("Register says %q, hostside.CheckReserved says %v", err, sdkErr)
			}
		})
	}
}
