package sdk

import (
	"context"
	"sync/atomic"
)

// Role capabilities: Serve lists one in Describe for every role the
// plugin implements, and amberd picks the plugin for a role by them,
// whatever the plugin's name in its config.
const (
	// CapChainBackend: the plugin is a ChainBackend.
	CapChainBackend = "chain-backend"
	// CapMethodProvider: the plugin is a MethodProvider.
	CapMethodProvider = "method-provider"
	// CapFeeEstimator: the plugin is a FeeEstimator.
	CapFeeEstimator = "fee-estimator"
)

// Lifecycle is the part of every plugin the host drives itself: Describe
// after the handshake, Configure, and Shutdown before it stops the
// process. Every role interface (ChainBackend, MethodProvider,
// FeeEstimator) embeds it; the value handed to Serve implements one or
// more roles and answers the lifecycle once for all of them.
type Lifecycle interface {
	// Describe names the plugin. It must be cheap. Serve adds the
	// capabilities of the roles it serves and fills in SDKVersion.
	Describe(ctx context.Context) (Description, error)
	// Configure hands the plugin its configuration block (a JSON object).
	// Invalid configuration is a KindInvalidArgument error naming the key.
	Configure(ctx context.Context, config []byte) error
	// Shutdown asks the plugin to finish and release its resources.
	Shutdown(ctx context.Context) error
}

// Description is a plugin's answer to Describe.
type Description struct {
	Name         string   // plugin name, e.g. "bitcoind"
	Version      string   // the plugin's own version
	SDKVersion   string   // SDK version it was built with (sdk.Version)
	Capabilities []string // Cap* strings
	// Chain backends fill in what they are connected to; empty until
	// Configure has connected to the daemon.
	Coin        string // e.g. "Bitcoin"
	Network     string // "mainnet", "testnet", "testnet4", "signet", "regtest"
	GenesisHash Hash
}

// HostAware is the one way a plugin reaches amberd's host services: when
// the plugin implements it and the host offers services, Serve calls
// SetHost once, before Configure, with a Host that stays valid for the
// life of the process. The Host is also a FeeHost and a BalanceHost (type
// assertions; a host without the service answers KindUnimplemented).
type HostAware interface {
	SetHost(Host)
}

// BasicPlugin is a Lifecycle for plugins without configuration: Describe
// returns Name and Version, Configure accepts anything, Shutdown does
// nothing. It also implements HostAware: Host returns the host services
// once the host has offered them. Embed it in a struct used through a
// pointer and override what you need.
type BasicPlugin struct {
	Name, Version string
	host          atomic.Pointer[Host]
}

// Describe implements Lifecycle.
func (b *BasicPlugin) Describe(context.Context) (Description, error) {
	return Description{Name: b.Name, Version: b.Version, SDKVersion: Version}, nil
}

// Configure implements Lifecycle; it ignores the configuration.
func (b *BasicPlugin) Configure(context.Context, []byte) error { return nil }

// Shutdown implements Lifecycle.
func (b *BasicPlugin) Shutdown(context.Context) error { return nil }

// SetHost implements HostAware.
func (b *BasicPlugin) SetHost(h Host) { b.host.Store(&h) }

// Host returns the host services, or nil when the host offered none.
func (b *BasicPlugin) Host() Host {
	if h := b.host.Load(); h != nil {
		return *h
	}
	return nil
}
