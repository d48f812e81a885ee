package electrum

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/amber-electrum/amber/sdk"
)

// TestReservedMatchesSDK: the SDK's copy of the reserved namespaces and
// plugin slots (which sdktest checks plugin authors' methods against) is
// the core's, and sdk.CheckReserved words the refusal as Register does, so
// the two cannot drift apart.
func TestReservedMatchesSDK(t *testing.T) {
	if got, want := slices.Sorted(slices.Values(sdk.ReservedNamespaces)), slices.Sorted(slices.Values(ReservedNamespaces)); !slices.Equal(got, want) {
		t.Errorf("sdk.ReservedNamespaces = %q, core has %q", got, want)
	}
	if got, want := slices.Sorted(slices.Values(sdk.PluginSlots)), slices.Sorted(maps.Keys(PluginSlots)); !slices.Equal(got, want) {
		t.Errorf("sdk.PluginSlots = %q, core has %q", got, want)
	}

	names := []string{"hello.world", "servers.list"}
	for _, ns := range ReservedNamespaces {
		names = append(names, ns+"anything")
	}
	names = slices.AppendSeq(names, maps.Keys(PluginSlots))
	call := func(context.Context, string, json.RawMessage, sdk.SessionInfo) (any, error) { return nil, nil }
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			err := newRegistry().Register("myplugin", []sdk.MethodSpec{{Name: name}}, call)
			sdkErr := sdk.CheckReserved("myplugin", name)
			switch {
			case (err == nil) != (sdkErr == nil):
				t.Errorf("core Register: %v; sdk.CheckReserved: %v", err, sdkErr)
			case err != nil && err.Error() != sdkErr.Error():
				t.Errorf("core says %q, sdk says %q", err, sdkErr)
			}
		})
	}
}
