package sdk

import (
	"google.golang.org/grpc"

	"github.com/hashicorp/go-plugin"

	"github.com/amber-electrum/amber/sdk/internal/wire"
)

// init lends the plugin-side code to sdk/hostside and sdk/sdktest through
// the seams of sdk/internal/wire (they import this package, so this runs
// before they do).
func init() {
	wire.ToStatus = toStatus
	wire.FromStatus = fromStatus
	wire.PluginSet = func(p any) (plugin.PluginSet, error) {
		lc, ok := p.(Lifecycle)
		if !ok && p != nil {
			return nil, Errorf(KindInvalidArgument, "%T is not an sdk.Lifecycle", p)
		}
		return pluginSet(lc)
	}
	wire.HostClient = func(cc grpc.ClientConnInterface) any { return newHostClient(cc) }
}
