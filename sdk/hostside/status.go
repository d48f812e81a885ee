package hostside

import "github.com/amber-electrum/amber/sdk/internal/wire"

// ToStatus converts an error into the gRPC status error that carries its
// SDK kind across the plugin connection (an *sdk.Error anywhere in err's
// chain gives the kind and daemon fields, a context deadline KindTimeout,
// anything else KindInternal). nil stays nil. The plugin side does the same
// for every error a plugin returns; the host side uses it for the host
// services it serves.
func ToStatus(err error) error { return wire.ToStatus(err) }

// FromStatus converts an error of a gRPC call over the plugin connection
// back into an *sdk.Error (kind, message, daemon fields). A status without
// the SDK's detail (a transport failure, an RPC the other end does not
// implement, an oversized message) gives the kind of its gRPC code. nil
// stays nil.
func FromStatus(err error) error { return wire.FromStatus(err) }
